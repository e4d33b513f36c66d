//go:build js

package client

// hintFor has nothing to add in the browser, which owns TLS and reports
// its failures itself.
func hintFor(error) string { return "" }
