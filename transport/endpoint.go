package transport

import (
	"strings"

	"github.com/tether-sdk/tether/internal/urlx"
)

// Addr returns host:port, with the default port filled in.
func (t Target) Addr() string {
	if strings.Contains(t.Host, ":") {
		return "[" + t.Host + "]:" + t.Port // as net.JoinHostPort, without package net (the browser build)
	}
	return t.Host + ":" + t.Port
}

// URLRules are the options of ParseTarget.
type URLRules struct {
	// Origin is the page origin (e.g. "https://app.example.com"), as a browser
	// would have it. Empty: none. A secure (https) origin refuses ws:// URLs to
	// hosts that are not loopback (ErrMixedContent), and relative URLs are
	// resolved against it.
	Origin string

	// InsecureAllowPlaintext allows ws:// (and http://) URLs to hosts that are
	// not loopback when there is no secure origin. Zero: refused with
	// ErrInsecureURL. It never overrides a mixed-content refusal.
	InsecureAllowPlaintext bool
}

// ParseTarget applies Tether's URL rules to rawURL: ws, wss, http and https
// are accepted (http becomes ws, https becomes wss); the default port is 80 or
// 443; path and query are kept, a fragment is dropped. See the package
// documentation for the security rules. Every refusal is a *URLError naming
// the URL and the fix.
func ParseTarget(rawURL string, rules URLRules) (Target, error) {
	fail := func(err error, reason, fix string) (Target, error) {
		return Target{}, &URLError{URL: redactURL(rawURL), Origin: rules.Origin, Reason: reason, Fix: fix, Err: err}
	}
	var origin *urlx.URL
	secureOrigin := false
	if rules.Origin != "" {
		o, err := parseURL(rules.Origin)
		if err != nil || o.Host == "" || (o.Scheme != "http" && o.Scheme != "https" && o.Scheme != "ws" && o.Scheme != "wss") {
			return fail(ErrBadURL, "the page origin is not an http(s) origin", `give an origin such as "https://app.example.com"`)
		}
		origin = o
		secureOrigin = o.Scheme == "https" || o.Scheme == "wss"
	}
	u, err := parseURL(rawURL)
	if err != nil {
		return fail(errorsJoin(ErrBadURL, err), "it does not parse", "give an absolute ws://, wss://, http:// or https:// URL")
	}
	if u.Scheme == "" && origin != nil {
		// A relative URL, as new WebSocket("/path") accepts in a browser.
		u = origin.ResolveReference(u)
	}
	u.Fragment, u.RawFragment = "", ""
	switch strings.ToLower(u.Scheme) {
	case "ws", "http":
		u.Scheme = "ws"
	case "wss", "https":
		u.Scheme = "wss"
	case "":
		return fail(ErrBadURL, "it has no scheme", "give an absolute URL, or a page origin to resolve it against")
	default:
		return fail(ErrBadURL, "the scheme "+u.Scheme+" is not supported", "use ws://, wss://, http:// or https://")
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return fail(ErrBadURL, "it has no host", "give a URL such as wss://example.com/path")
	}
	host, port := u.Hostname(), u.Port()
	if port != "" && !validPort(port) {
		return fail(ErrBadURL, "the port "+port+" is not a number from 1 to 65535", "fix the port")
	}
	secure := u.Scheme == "wss"
	if !secure && !IsLoopback(host) {
		wss := *u
		wss.Scheme = "wss"
		if secureOrigin {
			return fail(ErrMixedContent, "a secure page must not open an insecure WebSocket (mixed content)",
				"use "+redactURL(wss.String()))
		}
		if !rules.InsecureAllowPlaintext {
			return fail(ErrInsecureURL, "plaintext WebSocket to a non-loopback host can be read and changed by anyone on the path",
				"use "+redactURL(wss.String())+", or set InsecureAllowPlaintext if you really mean it")
		}
	}
	if port == "" {
		port = "80"
		if secure {
			port = "443"
		}
	}
	h := *u
	h.Scheme = "http"
	if secure {
		h.Scheme = "https"
	}
	return Target{WS: targetURLOf(u), HTTP: targetURLOf(&h), Secure: secure, Host: host, Port: port}, nil
}

// IsLoopback reports whether host is a loopback host as browsers treat it
// ("potentially trustworthy"): localhost, *.localhost, 127.0.0.0/8 and ::1.
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, ok := urlx.ParseIP(host)
	return ok && ip.IsLoopback()
}

func validPort(p string) bool {
	if len(p) == 0 || len(p) > 5 {
		return false
	}
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n >= 1 && n <= 65535
}

// redactURL hides a password in a URL given as a string, if it parses.
func redactURL(raw string) string {
	u, err := parseURL(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}

// errorsJoin wraps a sentinel and a cause so both match errors.Is.
func errorsJoin(sentinel, cause error) error { return &joined{sentinel, cause} }

type joined struct{ sentinel, cause error }

func (j *joined) Error() string   { return j.cause.Error() }
func (j *joined) Unwrap() []error { return []error{j.sentinel, j.cause} }
