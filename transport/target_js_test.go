//go:build js

package transport

import (
	"testing"

	"github.com/tether-sdk/tether/internal/urlx"
)

// TestTargetURLIsURLX: the browser build's URL answers as internal/urlx's,
// which its tests hold to net/url's.
func TestTargetURLIsURLX(t *testing.T) {
	for _, raw := range []string{"wss://u:p%40ss@h.example:8443/a%2Fb/c?q=1#f", "ws://[::1]:9/x", "https://h/ü?ä",
		"wss://u@h/", "http://h", "/rel?x", "wss://h:/p"} {
		v, err := urlx.Parse(raw)
		if err != nil {
			t.Fatalf("urlx.Parse(%q): %v", raw, err)
		}
		u := targetURLOf(v)
		if u.String() != v.String() || u.Redacted() != v.Redacted() || u.Hostname() != v.Hostname() ||
			u.Port() != v.Port() || u.EscapedPath() != v.EscapedPath() || u.User.String() != v.User.String() {
			t.Errorf("%q: %q %q %q %q %q, urlx: %q %q %q %q %q", raw, u, u.Redacted(), u.Hostname(), u.Port(),
				u.EscapedPath(), v, v.Redacted(), v.Hostname(), v.Port(), v.EscapedPath())
		}
	}
	if (*URL)(nil).Redacted() != "" || (*Userinfo)(nil).Username() != "" {
		t.Error("nil URL or Userinfo")
	}
}
