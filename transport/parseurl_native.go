//go:build !js

package transport

import "net/url"

// parseURL is url.Parse natively; the browser build parses with
// internal/urlx, which keeps fmt out of the bundle (url.Parse's errors
// format with fmt).
func parseURL(raw string) (*url.URL, error) { return url.Parse(raw) }
