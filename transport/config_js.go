//go:build js

package transport

// Config holds the settings of the dialing layer that exist in the browser:
// the URL rules. TLS, certificates, pins and proxies belong to the browser
// there; the native Config's other fields do not exist on js/wasm.
type Config struct {
	URLRules
}
