package server

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// request builds a poll-open as it reaches the handler: Host, Origin, the
// peer, the local address, and TLS or not.
func request(host, origin, remote, local string, overTLS bool, hd ...string) *http.Request {
	req := httptest.NewRequest("GET", "http://"+host+pollOpen, nil)
	req.Host = host
	req.RemoteAddr = remote
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	for i := 0; i+1 < len(hd); i += 2 {
		req.Header.Set(hd[i], hd[i+1])
	}
	req.TLS = nil
	if overTLS {
		req.TLS = &tls.ConnectionState{}
	}
	la, _ := net.ResolveTCPAddr("tcp", local)
	return req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, la))
}

func TestOriginAndHostPolicy(t *testing.T) {
	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32")}
	tests := []struct {
		name   string
		opts   *Options
		req    *http.Request
		status int
		acao   string // Access-Control-Allow-Origin
		creds  bool   // Access-Control-Allow-Credentials: true
	}{
		{"no origin", nil, request("app.example.com", "", "192.0.2.1:1", "10.0.0.5:443", true), 200, "", false},
		{"same origin over TLS", nil, request("app.example.com", "https://app.example.com", "192.0.2.1:1", "10.0.0.5:443", true), 200, "https://app.example.com", true},
		{"same origin, default port explicit", nil, request("app.example.com:443", "https://APP.example.com", "192.0.2.1:1", "10.0.0.5:443", true), 200, "https://APP.example.com", true},
		{"http origin over TLS", nil, request("app.example.com", "http://app.example.com", "192.0.2.1:1", "10.0.0.5:443", true), 403, "", false},
		{"other host", nil, request("app.example.com", "https://evil.example", "192.0.2.1:1", "10.0.0.5:443", true), 403, "", false},
		{"null", nil, request("app.example.com", "null", "192.0.2.1:1", "10.0.0.5:443", true), 403, "", false},
		{"behind a TLS proxy, not trusted: scheme unknown", nil, request("app.example.com", "https://app.example.com", "10.0.0.2:1", "10.0.0.5:80", false), 200, "https://app.example.com", true},
		{"trusted proxy says http", &Options{TrustedProxies: proxy}, request("app.example.com", "https://app.example.com", "10.0.0.2:1", "10.0.0.5:80", false, "X-Forwarded-Proto", "http"), 403, "", false},
		{"trusted proxy says https", &Options{TrustedProxies: proxy}, request("app.example.com", "https://app.example.com", "10.0.0.2:1", "10.0.0.5:80", false, "X-Forwarded-Proto", "https"), 200, "https://app.example.com", true},
		{"star", &Options{AllowedOrigins: []string{"*"}}, request("app.example.com", "https://other.example", "192.0.2.1:1", "10.0.0.5:443", true), 200, "https://other.example", false},
		{"star never null", &Options{AllowedOrigins: []string{"*"}}, request("app.example.com", "null", "192.0.2.1:1", "10.0.0.5:443", true), 403, "", false},
		{"listed origin", &Options{AllowedOrigins: []string{"https://app.example.com"}}, request("api.example.com", "https://app.example.com", "192.0.2.1:1", "10.0.0.5:443", true), 200, "https://app.example.com", true},
		{"listed origin, other scheme", &Options{AllowedOrigins: []string{"https://app.example.com"}}, request("api.example.com", "http://app.example.com", "192.0.2.1:1", "10.0.0.5:443", true), 403, "", false},

		// DNS rebinding against a plaintext server on loopback, by default.
		{"rebinding", nil, request("evil.example:8080", "http://evil.example:8080", "127.0.0.1:1", "127.0.0.1:8080", false), 403, "", false},
		{"localhost page", nil, request("localhost:8080", "http://localhost:8080", "127.0.0.1:1", "127.0.0.1:8080", false), 200, "http://localhost:8080", true},
		{"nginx proxy_set_header Host $host", nil, request("app.example.com", "https://app.example.com", "127.0.0.1:1", "127.0.0.1:8080", false), 200, "https://app.example.com", true},
		{"nginx plain proxy_pass, no browser", nil, request("backend", "", "127.0.0.1:1", "127.0.0.1:8080", false), 200, "", false},
		{"nginx plain proxy_pass, listed origin", &Options{AllowedOrigins: []string{"https://app.example.com"}}, request("backend", "https://app.example.com", "127.0.0.1:1", "127.0.0.1:8080", false), 200, "https://app.example.com", true},
		{"not on loopback: no Host check", nil, request("anything.example", "", "192.0.2.1:1", "10.0.0.5:80", false), 200, "", false},

		// An explicit Host allow-list.
		{"allowed host", &Options{AllowedHosts: []string{"app.example.com"}}, request("app.example.com:8443", "", "192.0.2.1:1", "10.0.0.5:8443", true), 200, "", false},
		{"allowed subdomain", &Options{AllowedHosts: []string{"*.example.com"}}, request("eu.example.com", "", "192.0.2.1:1", "10.0.0.5:443", true), 200, "", false},
		{"host not allowed", &Options{AllowedHosts: []string{"app.example.com"}}, request("evil.example", "", "192.0.2.1:1", "10.0.0.5:443", true), 403, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHandler(idle, tt.opts)
			defer h.Shutdown(t.Context())
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tt.req)
			if rec.Code != tt.status {
				t.Fatalf("status %d %s, want %d", rec.Code, rec.Body, tt.status)
			}
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != tt.acao {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tt.acao)
			}
			if got := rec.Header().Get("Access-Control-Allow-Credentials") == "true"; got != tt.creds {
				t.Errorf("credentials %v, want %v", got, tt.creds)
			}
		})
	}
}

func TestClientAddr(t *testing.T) {
	h := NewHandler(idle, &Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	defer h.Shutdown(t.Context())
	tests := []struct {
		name, remote string
		hd           []string
		want         string
	}{
		{"direct", "192.0.2.1:5", nil, "192.0.2.1"},
		{"untrusted peer's header ignored", "192.0.2.1:5", []string{"X-Forwarded-For", "198.51.100.1"}, "192.0.2.1"},
		{"trusted proxy", "10.0.0.2:5", []string{"X-Forwarded-For", "198.51.100.1"}, "198.51.100.1"},
		{"spoofed entry left of the real one", "10.0.0.2:5", []string{"X-Forwarded-For", "1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies", "10.0.0.2:5", []string{"X-Forwarded-For", "198.51.100.1, 10.0.0.3"}, "198.51.100.1"},
		{"malformed stops the walk", "10.0.0.2:5", []string{"X-Forwarded-For", "198.51.100.1, junk, 10.0.0.3"}, "10.0.0.3"},
		{"Forwarded", "10.0.0.2:5", []string{"Forwarded", `for="[2001:db8::7]:4711";proto=https`}, "2001:db8::7"},
		{"X-Forwarded-For wins over Forwarded", "10.0.0.2:5", []string{"Forwarded", "for=1.2.3.4", "X-Forwarded-For", "198.51.100.1"}, "198.51.100.1"},
		{"trusted IPv6 peer", "[::1]:5", []string{"X-Forwarded-For", "198.51.100.9"}, "198.51.100.9"},
		{"no header", "10.0.0.2:5", nil, "10.0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tt.remote
			for i := 0; i+1 < len(tt.hd); i += 2 {
				req.Header.Set(tt.hd[i], tt.hd[i+1])
			}
			if got := h.clientAddr(req); got != netip.MustParseAddr(tt.want) {
				t.Fatalf("client %v, want %s", got, tt.want)
			}
		})
	}
}
