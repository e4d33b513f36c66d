//go:build js

package transport

import "github.com/tether-sdk/tether/internal/urlx"

// parseURL is internal/urlx's Parse in the browser build: url.Parse's
// errors format with fmt, which would pull fmt and reflect into the bundle.
// urlx accepts the usual shapes of WebSocket and HTTP URLs (see its doc) and
// parses them exactly as url.Parse; a host with other characters (escapes,
// an IPv6 zone) is refused as not parsing.
func parseURL(raw string) (*urlx.URL, error) { return urlx.Parse(raw) }
