package server

import (
	"net/http"
	"net/netip"
	"strings"
)

// peerAddr is the address of the connection's peer.
func peerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		a, _ := netip.ParseAddr(r.RemoteAddr)
		return a.Unmap()
	}
	return ap.Addr().Unmap()
}

// trusted reports whether a is one of Options.TrustedProxies.
func (h *Handler) trusted(a netip.Addr) bool {
	for _, p := range h.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the client's address: the peer's, or, when the peer is a
// trusted proxy, the rightmost forwarded address that is not a trusted
// proxy (the leftmost when all are). X-Forwarded-For is preferred over
// Forwarded; a malformed entry stops the walk there (everything left of it
// is what the client said, not what a proxy saw).
func (h *Handler) clientAddr(r *http.Request) netip.Addr {
	peer := peerAddr(r)
	if !peer.IsValid() || !h.trusted(peer) {
		return peer
	}
	hops := forwardedFor(r.Header)
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break
		}
		client = a
		if !h.trusted(a) {
			break
		}
	}
	return client
}

// forwardedFor lists the forwarded addresses, oldest first, from
// X-Forwarded-For, or else from Forwarded's for= parameters.
func forwardedFor(hd http.Header) []string {
	var hops []string
	if xff := hd.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, v := range xff {
			for _, e := range strings.Split(v, ",") {
				hops = append(hops, strings.TrimSpace(e))
			}
		}
		return hops
	}
	for _, v := range hd.Values("Forwarded") {
		for _, elem := range strings.Split(v, ",") {
			for _, pair := range strings.Split(elem, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					hops = append(hops, strings.Trim(val, `"`))
				}
			}
		}
	}
	return hops
}

// parseHop parses one forwarded address: "1.2.3.4", "1.2.3.4:80",
// "[::1]" or "[::1]:80" (RFC 7239 quoting removed).
func parseHop(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// addrKey groups client addresses for admission: an IPv4 address alone, an
// IPv6 address by its /64 (what one subscriber usually gets).
func addrKey(a netip.Addr) netip.Prefix {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p
	}
	p, _ := a.Prefix(a.BitLen())
	return p
}

// requestScheme is "https" when the request came over TLS, or from a
// trusted proxy that says so in X-Forwarded-Proto (or Forwarded proto=);
// "http" otherwise. known is false for a plaintext request that did not
// come from a trusted proxy saying which: a TLS-terminating proxy may be in
// front.
func (h *Handler) requestScheme(r *http.Request) (scheme string, known bool) {
	if r.TLS != nil {
		return "https", true
	}
	if !h.trusted(peerAddr(r)) {
		return "http", false
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		return strings.ToLower(strings.TrimSpace(strings.Split(p, ",")[0])), true
	}
	for _, v := range r.Header.Values("Forwarded") {
		for _, pair := range strings.Split(strings.Split(v, ",")[0], ";") {
			k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if ok && strings.EqualFold(k, "proto") {
				return strings.ToLower(strings.Trim(val, `"`)), true
			}
		}
	}
	return "http", false
}
