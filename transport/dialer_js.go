//go:build js

package transport

import (
	"syscall/js"
	"time"
)

// Dialer, in the browser, holds the target: the browser owns TLS,
// certificates, pins and proxies, and its WebSocket and fetch do the
// connecting (the links of packages transport and fallback).
type Dialer struct {
	t Target
}

// New parses rawURL under cfg's URL rules (nil: none). When the rules have
// no Origin, the page's origin is used, so a relative URL works and a
// ws:// URL on an https page is refused with ErrMixedContent before any
// request (loopback hosts excepted, as browsers do).
func New(rawURL string, cfg *Config) (*Dialer, error) {
	var rules URLRules
	if cfg != nil {
		rules = cfg.URLRules
	}
	if rules.Origin == "" {
		rules.Origin = PageOrigin()
	}
	t, err := ParseTarget(rawURL, rules)
	if err != nil {
		return nil, err
	}
	return &Dialer{t: t}, nil
}

// Target returns the parsed target.
func (d *Dialer) Target() Target { return d.t }

// PageOrigin returns the page's (or worker's) origin, "" when it has none
// that is http(s) (a file: page, or no page: Node).
func PageOrigin() string {
	loc := js.Global().Get("location")
	if !loc.Truthy() {
		return ""
	}
	o := loc.Get("origin")
	if o.Type() != js.TypeString {
		return ""
	}
	s := o.String()
	if len(s) < 7 || (s[:7] != "http://" && (len(s) < 8 || s[:8] != "https://")) {
		return ""
	}
	return s
}

// RTT is 0 in the browser: its WebSocket and fetch hide the handshakes.
func (d *Dialer) RTT() time.Duration { return 0 }
