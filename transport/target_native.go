//go:build !js

package transport

import (
	"net/url"

	"github.com/tether-sdk/tether/internal/urlx"
)

// Target is a server address after the URL rules: the WebSocket URL and the
// equivalent HTTP URL the fallback transports use.
type Target struct {
	WS     *url.URL // ws:// or wss://, fragment removed
	HTTP   *url.URL // the same with http:// or https://
	Secure bool     // wss / https
	Host   string   // host name or IP, without brackets or port
	Port   string   // explicit or default port ("80" or "443")
}

// targetURL is the type of a Target's URLs (URL in the browser build).
type targetURL = url.URL

// targetURLOf is u (internal/urlx's URL is net/url's natively).
func targetURLOf(u *urlx.URL) *targetURL { return u }
