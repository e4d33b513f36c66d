//go:build !js

package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/certs"
)

func mustDialer(t *testing.T, rawURL string, cfg *Config) *Dialer {
	t.Helper()
	if cfg.Proxy == nil {
		cfg.Proxy = NoProxy
	}
	d, err := New(rawURL, cfg)
	if err != nil {
		t.Fatalf("New(%s): %v", rawURL, err)
	}
	t.Cleanup(d.HTTPClient().CloseIdleConnections)
	return d
}

func echo(t *testing.T, c *websocket.Conn) {
	t.Helper()
	defer c.Close()
	if err := c.WriteMessage(websocket.TextMessage, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	_, msg, err := c.ReadMessage()
	if err != nil || string(msg) != "ping" {
		t.Fatalf("echo: %q, %v", msg, err)
	}
}

func TestDialDirect(t *testing.T) {
	p := newPKI(t)
	ts := newTarget(t, p, nil)
	d := mustDialer(t, ts.wsURL("/ws"), &Config{RootCAs: p.ca.Pool()})
	c, resp, err := d.dialWebSocket(context.Background(), &wsOptions{Subprotocols: []string{"tether.v1"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Subprotocol() != "tether.v1" || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("subprotocol %q status %d", c.Subprotocol(), resp.StatusCode)
	}
	echo(t, c)
}

func TestDialUntrustedIsTLSError(t *testing.T) {
	p := newPKI(t)
	ts := newTarget(t, p, nil)
	d := mustDialer(t, ts.wsURL("/ws"), &Config{}) // system roots do not know the test CA
	_, _, err := d.dialWebSocket(context.Background(), nil)
	if Classify(err) != ClassTLS || !Classify(err).Permanent() {
		t.Fatalf("got %v (class %v), want a permanent TLS error", err, Classify(err))
	}
	// The same through the HTTP client.
	_, err = d.HTTPClient().Get(ts.URL + "/plain")
	if Classify(err) != ClassTLS {
		t.Fatalf("HTTPClient: got %v (class %v), want TLS", err, Classify(err))
	}
}

func TestExtraCAFromPEMAndFile(t *testing.T) {
	p := newPKI(t)
	ts := newTarget(t, p, nil)
	dir := t.TempDir()
	if _, _, err := certs.SelfSigned(dir); err != nil { // a file of some other CA
		t.Fatal(err)
	}
	for name, cfg := range map[string]*Config{
		"pem":  {CAPEM: [][]byte{p.ca.CertPEM()}},
		"file": {CAFiles: []string{dir + "/ca.pem"}, CAPEM: [][]byte{p.ca.CertPEM()}},
	} {
		t.Run(name, func(t *testing.T) {
			c, _, err := mustDialer(t, ts.wsURL("/ws"), cfg).dialWebSocket(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			echo(t, c)
		})
	}
	for name, cfg := range map[string]*Config{
		"missing file": {CAFiles: []string{dir + "/nope.pem"}},
		"not PEM":      {CAPEM: [][]byte{[]byte("hello")}},
		"old TLS":      {MinTLSVersion: tls.VersionTLS11},
		"pins without verification": {DangerousInsecureSkipVerify: true,
			Pins: []Pin{{Hash: SPKIPin(p.ca.Cert)}}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg.Proxy = NoProxy
			_, err := New(ts.wsURL("/ws"), cfg)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want *ConfigError", err)
			}
		})
	}
}

func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	ts := newTargetWith(t, p, nil, func(c *tls.Config) {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = p.ca.Pool()
	}).wsURL("/ws")
	client, err := p.ca.Issue("client")
	if err != nil {
		t.Fatal(err)
	}
	without := mustDialer(t, ts, &Config{RootCAs: p.ca.Pool()})
	if _, _, err := without.dialWebSocket(context.Background(), nil); err == nil {
		t.Fatal("dial without a client certificate succeeded")
	}
	with := mustDialer(t, ts, &Config{RootCAs: p.ca.Pool(), Certificates: []tls.Certificate{client.TLSCertificate()}})
	c, _, err := with.dialWebSocket(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	echo(t, c)
}

func TestPins(t *testing.T) {
	root, _ := certs.NewCA("root")
	inter, _ := root.NewIntermediate("inter")
	leaf, _ := inter.Issue("127.0.0.1", "localhost")
	p := pki{root, leaf}
	ts := newTarget(t, p, nil)
	other, _ := certs.NewCA("other")
	wrong := SPKIPin(other.Cert)

	tests := []struct {
		name string
		pins []Pin
		ok   bool
	}{
		{"leaf", []Pin{{Hash: SPKIPin(leaf.Cert)}}, true},
		{"intermediate", []Pin{{Host: "127.0.0.1", Hash: SPKIPin(inter.Cert)}}, true},
		{"root (in the verified chain, not sent by the server)", []Pin{{Hash: SPKIPin(root.Cert)}}, true},
		{"backup pin", []Pin{{Hash: wrong}, {Hash: SPKIPin(leaf.Cert)}}, true},
		{"wrong", []Pin{{Hash: wrong}}, false},
		{"pins for another host do not apply", []Pin{{Host: "**.example.com", Hash: wrong}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustDialer(t, ts.wsURL("/ws"), &Config{RootCAs: root.Pool(), Pins: tt.pins})
			c, _, err := d.dialWebSocket(context.Background(), nil)
			resp, herr := d.HTTPClient().Get(ts.URL + "/plain")
			if herr == nil {
				resp.Body.Close()
			}
			if tt.ok {
				if err != nil || herr != nil {
					t.Fatalf("websocket: %v; http: %v", err, herr)
				}
				echo(t, c)
				return
			}
			for _, err := range []error{err, herr} {
				var pe *PinError
				if !errors.As(err, &pe) || !errors.Is(err, ErrPinMismatch) || Classify(err) != ClassTLS {
					t.Fatalf("got %v, want a *PinError classified TLS", err)
				}
				if pe.Host != "127.0.0.1" || len(pe.Expected) != 1 || pe.Expected[0] != wrong || len(pe.Presented) != 3 {
					t.Fatalf("PinError facts: %+v", pe)
				}
				if !strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "pin mismatch") {
					t.Fatalf("message does not name the expected pin: %v", err)
				}
			}
		})
	}
}

func TestPinsCheckedOnResumedSessions(t *testing.T) {
	p := newPKI(t)
	ts := newTarget(t, p, nil)
	cache := tls.NewLRUClientSessionCache(4)
	good := &Config{RootCAs: p.ca.Pool(), TLSSessionCache: cache, Pins: []Pin{{Hash: SPKIPin(p.leaf.Cert)}}}
	// Fill the cache, then resume with the right pin.
	for i := 0; i < 2; i++ {
		c, _, err := mustDialer(t, ts.wsURL("/ws"), good).dialWebSocket(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		echo(t, c) // reading makes the client take the session ticket
		if i == 1 && !c.UnderlyingConn().(interface{ NetConn() net.Conn }).NetConn().(*tls.Conn).ConnectionState().DidResume {
			t.Fatal("second connection did not resume: the test proves nothing")
		}
	}
	// A wrong pin must fail even though the session would resume.
	bad := &Config{RootCAs: p.ca.Pool(), TLSSessionCache: cache, Pins: []Pin{{Hash: SPKIPin(p.ca.Cert)[:7] + strings.Repeat("A", 43) + "="}}}
	_, _, err := mustDialer(t, ts.wsURL("/ws"), bad).dialWebSocket(context.Background(), nil)
	if !errors.Is(err, ErrPinMismatch) {
		t.Fatalf("resumed session with a wrong pin: got %v, want pin mismatch", err)
	}
}

func TestDialThroughProxies(t *testing.T) {
	p := newPKI(t)
	ts := newTarget(t, p, nil)
	proxyCA, _ := certs.NewCA("proxy CA")
	proxyLeaf, _ := proxyCA.Issue("127.0.0.1")
	proxyCert := proxyLeaf.TLSCertificate()

	tests := []struct {
		name     string
		tlsProxy bool
		user     string
	}{
		{"http proxy", false, ""},
		{"http proxy with auth", false, "alice"},
		{"https proxy", true, ""},
		{"https proxy with auth", true, "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cert *tls.Certificate
			scheme := "http"
			if tt.tlsProxy {
				cert, scheme = &proxyCert, "https"
			}
			px := newTestProxy(t, cert, tt.user, "s3cret", nil)
			pu := &url.URL{Scheme: scheme, Host: px.addr()}
			if tt.user != "" {
				pu.User = url.UserPassword(tt.user, "s3cret")
			}
			proxy, err := FixedProxy(pu.String())
			if err != nil {
				t.Fatal(err)
			}
			cfg := &Config{
				RootCAs:  p.ca.Pool(),
				Pins:     []Pin{{Hash: SPKIPin(p.leaf.Cert)}}, // guards the target, not the proxy
				Proxy:    proxy,
				ProxyTLS: &tls.Config{RootCAs: proxyCA.Pool()},
			}
			d := mustDialer(t, ts.wsURL("/ws"), cfg)
			c, _, err := d.dialWebSocket(context.Background(), &wsOptions{Header: http.Header{"Authorization": {"Bearer target-token"}}})
			if err != nil {
				t.Fatal(err)
			}
			echo(t, c)
			resp, err := d.HTTPClient().Get(ts.URL + "/plain")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != "hello" {
				t.Fatalf("http body %q", body)
			}
			reqs := px.seen()
			if len(reqs) != 2 {
				t.Fatalf("proxy saw %d CONNECTs, want 2 (websocket and http)", len(reqs))
			}
			for _, r := range reqs {
				if r.Header.Get("Authorization") != "" {
					t.Fatal("the target's Authorization reached the proxy")
				}
				if (r.Header.Get("Proxy-Authorization") != "") != (tt.user != "") {
					t.Fatalf("Proxy-Authorization presence wrong: %q", r.Header.Get("Proxy-Authorization"))
				}
			}
			for _, h := range ts.seen() {
				if h.Get("Proxy-Authorization") != "" {
					t.Fatal("proxy credentials reached the target")
				}
			}
		})
	}
}

func TestProxyAuthRefused(t *testing.T) {
	p := newPKI(t)
	ts := newTarget(t, p, nil)
	px := newTestProxy(t, nil, "alice", "s3cret", nil)
	for _, tt := range []struct {
		name string
		user *url.Userinfo
		code int
	}{
		{"missing credentials", nil, 407},
		{"wrong credentials", url.UserPassword("alice", "wrong"), 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			proxy, _ := FixedProxy("http://" + px.addr())
			d := mustDialer(t, ts.wsURL("/ws"), &Config{RootCAs: p.ca.Pool(), Proxy: proxy, ProxyAuth: tt.user})
			_, _, werr := d.dialWebSocket(context.Background(), nil)
			resp, herr := d.HTTPClient().Get(ts.URL + "/plain")
			if herr == nil {
				resp.Body.Close()
			}
			for _, err := range []error{werr, herr} {
				var pe *ProxyError
				if !errors.As(err, &pe) || pe.StatusCode != tt.code || !pe.AuthRequired() {
					t.Fatalf("got %v, want a *ProxyError with status %d", err, tt.code)
				}
				if Classify(err) != ClassProxy || !errors.Is(err, ErrProxy) {
					t.Fatalf("class %v", Classify(err))
				}
				msg := err.Error()
				if !strings.Contains(msg, "proxy authentication") || !strings.Contains(msg, ": "+strconv.Itoa(tt.code)) {
					t.Fatalf("message does not say %d and proxy authentication: %s", tt.code, msg)
				}
				if tt.code == 407 && (len(pe.ProxyAuthenticate) != 1 || !strings.HasPrefix(pe.ProxyAuthenticate[0], "Basic")) {
					t.Fatalf("Proxy-Authenticate not carried: %q", pe.ProxyAuthenticate)
				}
				if strings.Contains(msg, "s3cret") || strings.Contains(msg, "wrong") {
					t.Fatalf("message leaks a password: %s", msg)
				}
			}
		})
	}
}

func TestMalformedProxyAnswers(t *testing.T) {
	p := newPKI(t)
	ts := newTarget(t, p, nil)
	endless := "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Filler: "+strings.Repeat("y", 100)+"\r\n", 400)
	tests := []struct {
		name   string
		answer string
		hold   bool
		check  func(t *testing.T, err error)
	}{
		{"407 without reason phrase", "HTTP/1.1 407\r\nProxy-Authenticate: Basic\r\n\r\n", false, func(t *testing.T, err error) {
			var pe *ProxyError
			if !errors.As(err, &pe) || pe.StatusCode != 407 || pe.Status != "" {
				t.Fatalf("got %v", err)
			}
		}},
		{"garbage", "\x00\x01 hello there\r\n\r\n", false, wantProxyFailure},
		{"HTTP/2 status line", "HTTP/2 200\r\n\r\n", false, wantProxyFailure},
		{"non-numeric status", "HTTP/1.1 2xx OK\r\n\r\n", false, wantProxyFailure},
		{"endless headers", endless, true, wantProxyFailure},
		{"closes without answering", "", false, wantProxyFailure},
		{"closes mid-answer", "HTTP/1.1 200 OK\r\nX-A: b\r\n", false, wantProxyFailure},
		{"never answers", "", true, func(t *testing.T, err error) {
			if !errors.Is(err, context.DeadlineExceeded) || Classify(err) != ClassProxy {
				t.Fatalf("got %v, want a proxy error wrapping the deadline", err)
			}
		}},
		{"200 then hangs up", "HTTP/1.1 200 OK\r\n\r\n", false, func(t *testing.T, err error) {
			if err == nil || Classify(err) == ClassRefused {
				t.Fatalf("got %v (class %v)", err, Classify(err))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := scriptedProxy(t, tt.answer, tt.hold)
			proxy, _ := FixedProxy("http://" + addr)
			d := mustDialer(t, ts.wsURL("/ws"), &Config{RootCAs: p.ca.Pool(), Proxy: proxy})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, _, err := d.dialWebSocket(ctx, nil)
			tt.check(t, err)
		})
	}
}

func wantProxyFailure(t *testing.T, err error) {
	t.Helper()
	var pe *ProxyError
	if !errors.As(err, &pe) || pe.StatusCode != 0 || pe.Op != "connect" {
		t.Fatalf("got %v, want a *ProxyError with no status", err)
	}
}

func TestProxyDialTimeoutWithoutCtxDeadline(t *testing.T) {
	addr := scriptedProxy(t, "", true)
	proxy, _ := FixedProxy("http://" + addr)
	d := mustDialer(t, "wss://127.0.0.1:9/", &Config{Proxy: proxy, DialTimeout: 100 * time.Millisecond})
	_, err := d.dialVia(context.Background(), "wss", "127.0.0.1:9")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || Classify(err) != ClassProxy {
		t.Fatalf("got %v, want a proxy timeout", err)
	}
}

func TestTunnelKeepsEarlyBytes(t *testing.T) {
	addr := scriptedProxy(t, "HTTP/1.0 200 Connection established\r\nX: y\r\n\r\nearly", true)
	proxy, _ := FixedProxy("http://" + addr)
	d := mustDialer(t, "wss://127.0.0.1:9/", &Config{Proxy: proxy})
	c, err := d.dialVia(context.Background(), "wss", "127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "early" {
		t.Fatalf("read %q, %v", buf, err)
	}
}

func TestHandshakeClassification(t *testing.T) {
	p := newPKI(t)
	status := func(code int, hdr ...string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i+1 < len(hdr); i += 2 {
				w.Header().Set(hdr[i], hdr[i+1])
			}
			w.WriteHeader(code)
			io.WriteString(w, strings.Repeat("b", 5000))
		})
	}
	reset := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		if tc, ok := c.(*tls.Conn); ok {
			tc.NetConn().(*net.TCPConn).SetLinger(0)
		}
		c.Close()
	})
	tests := []struct {
		name      string
		h         http.Handler
		forbidden bool
		class     Class
		code      int
		retry     time.Duration
	}{
		{"400 stripped upgrade", status(400), false, ClassRefused, 400, 0},
		{"403 forbidden by a proxy", status(403), false, ClassRefused, 403, 0},
		{"403 as credentials", status(403), true, ClassUnauthorized, 403, 0},
		{"401", status(401), false, ClassUnauthorized, 401, 0},
		{"404", status(404), false, ClassRefused, 404, 0},
		{"405", status(405), false, ClassRefused, 405, 0},
		{"426", status(426), false, ClassRefused, 426, 0},
		{"501", status(501), false, ClassRefused, 501, 0},
		{"200 without upgrade", status(200), false, ClassRefused, 200, 0},
		{"302 captive portal", status(302, "Location", "http://portal.example/"), false, ClassRefused, 302, 0},
		{"503 with Retry-After", status(503, "Retry-After", "7"), false, ClassServer, 503, 7 * time.Second},
		{"429", status(429, "Retry-After", "2"), false, ClassServer, 429, 2 * time.Second},
		{"reset after the request", reset, false, ClassRefused, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTarget(t, p, tt.h)
			d := mustDialer(t, ts.wsURL("/custom"), &Config{RootCAs: p.ca.Pool(), ForbiddenIsUnauthorized: tt.forbidden})
			_, _, err := d.dialWebSocket(context.Background(), nil)
			var he *HandshakeError
			if !errors.As(err, &he) || !errors.Is(err, ErrHandshake) {
				t.Fatalf("got %v, want *HandshakeError", err)
			}
			if he.Class != tt.class || Classify(err) != tt.class || he.StatusCode != tt.code || he.RetryAfter != tt.retry {
				t.Fatalf("got class %v code %d retry %v, want %v %d %v (%v)", he.Class, he.StatusCode, he.RetryAfter, tt.class, tt.code, tt.retry, err)
			}
			if len(he.Body) > MaxErrorBody {
				t.Fatalf("body not bounded: %d bytes", len(he.Body))
			}
		})
	}
}

func TestNetworkFailureIsNotRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connection refused
	d := mustDialer(t, "wss://"+addr+"/", &Config{})
	_, _, err = d.dialWebSocket(context.Background(), nil)
	if err == nil || Classify(err) != ClassNetwork {
		t.Fatalf("got %v (class %v), want network", err, Classify(err))
	}
}
