//go:build js

package transport

// classifyPlatform has nothing to add in the browser, which owns TLS.
func classifyPlatform(error) (Class, bool) { return 0, false }
