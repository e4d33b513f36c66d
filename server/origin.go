package server

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tether-sdk/tether/internal/wire"
)

// checkOrigin enforces the origin policy (Options.AllowedOrigins) and sets
// CORS headers for allowed cross-origin browsers. It answers 403 itself
// when the origin is refused.
func (h *Handler) checkOrigin(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	o, valid := parseOrigin(origin)
	allowed, credentials := false, false
	switch {
	case !valid: // "null", or not an origin at all
	case h.opts.AllowedOrigins == nil:
		allowed, credentials = h.sameOrigin(o, r), true
	case slices.ContainsFunc(h.opts.AllowedOrigins, func(a string) bool { p, ok := parseOrigin(a); return ok && p == o }):
		allowed, credentials = true, true
	case slices.Contains(h.opts.AllowedOrigins, "*"):
		allowed = true // any origin, but never with credentials
	}
	if !allowed {
		h.opts.Logger.Warn("origin refused", "origin", origin, "remote", r.RemoteAddr)
		h.fail(w, wire.CodeForbiddenOrigin, "origin "+strconv.Quote(origin)+" is not allowed", 0)
		return false
	}
	hd := w.Header()
	hd.Set("Access-Control-Allow-Origin", origin)
	if credentials {
		hd.Set("Access-Control-Allow-Credentials", "true")
	}
	hd.Set("Access-Control-Expose-Headers", "Retry-After")
	hd.Add("Vary", "Origin")
	if r.Method == http.MethodOptions {
		hd.Set("Access-Control-Allow-Methods", "GET, POST")
		hd.Set("Access-Control-Allow-Headers", "Tether-Key, Content-Type, Authorization, Last-Event-ID")
		hd.Set("Access-Control-Max-Age", "600")
	}
	return true
}

// origin is a parsed origin: lower-case scheme and host, explicit port.
type origin struct{ scheme, host, port string }

// parseOrigin parses "scheme://host[:port]" with scheme http or https; the
// default port is made explicit. "null" and anything else is not valid.
func parseOrigin(s string) (origin, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return origin{}, false
	}
	o := origin{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Hostname()), port: u.Port()}
	if o.scheme != "http" && o.scheme != "https" {
		return origin{}, false
	}
	if o.port == "" {
		o.port = defaultPort(o.scheme)
	}
	return o, true
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// sameOrigin reports whether o is the origin of the request: the same host
// and port as the Host header (its port defaulting to o's scheme's), and
// the same scheme when the request's scheme is known (see requestScheme).
func (h *Handler) sameOrigin(o origin, r *http.Request) bool {
	host, port := splitHost(r.Host)
	if port == "" {
		port = defaultPort(o.scheme)
	}
	if host != o.host || port != o.port {
		return false
	}
	scheme, known := h.requestScheme(r)
	return !known || scheme == o.scheme
}

// splitHost splits a Host header into a lower-case name (no brackets, no
// trailing dot) and its port ("" when absent).
func splitHost(hostport string) (host, port string) {
	host = hostport
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	return strings.ToLower(host), port
}

// checkHost enforces Options.AllowedHosts against DNS rebinding. Without
// the option, only a plaintext server on a loopback address checks: a
// browser request there must name a loopback Host, or come from an https
// page (which reached this server through a TLS-terminating proxy, not by
// rebinding a name to 127.0.0.1). It answers 403 itself.
func (h *Handler) checkHost(w http.ResponseWriter, r *http.Request) bool {
	host, _ := splitHost(r.Host)
	var ok bool
	if h.opts.AllowedHosts != nil {
		ok = slices.ContainsFunc(h.opts.AllowedHosts, func(a string) bool { return hostMatches(a, host) })
	} else {
		origin := r.Header.Get("Origin")
		ok = r.TLS != nil || origin == "" || !onLoopback(r) || loopbackName(host) || httpsOrigin(origin)
	}
	if !ok {
		h.opts.Logger.Warn("host refused", "host", r.Host, "origin", r.Header.Get("Origin"), "remote", r.RemoteAddr)
		h.fail(w, wire.CodeForbiddenOrigin, "Host "+strconv.Quote(r.Host)+" is not allowed on this server (see its allowed hosts)", 0)
	}
	return ok
}

// hostMatches reports whether host is pattern, or a subdomain of it when
// pattern is "*.name".
func hostMatches(pattern, host string) bool {
	pattern = strings.ToLower(strings.TrimSuffix(pattern, "."))
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		return strings.HasSuffix(host, "."+rest)
	}
	return host == pattern
}

// onLoopback reports whether the request came in on a loopback address.
func onLoopback(r *http.Request) bool {
	la, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	ta, ok := la.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// loopbackName reports whether host is localhost, a *.localhost name or a
// loopback address.
func loopbackName(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func httpsOrigin(s string) bool {
	o, ok := parseOrigin(s)
	return ok && o.scheme == "https"
}
