//go:build !js

package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// refusingServer is a TLS server that answers a WebSocket upgrade with 400
// (as a proxy refusing it), with "Connection: close" when closing, and
// any other request with 200.
func refusingServer(t *testing.T, p pki, closing bool) (*httptest.Server, *countingListener) {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			if closing {
				w.Header().Set("Connection", "close")
			}
			http.Error(w, "upgrade refused", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "fallback")
	}))
	cl := &countingListener{Listener: ts.Listener}
	ts.Listener = cl
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{p.leaf.TLSCertificate()}}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts, cl
}

// Issue 15: a refused upgrade whose answer leaves the connection open
// carries the fallback's request: one TCP and TLS connection (and one
// proxy tunnel), not two. An answer with "Connection: close" does not.
func TestRefusedUpgradeConnectionReused(t *testing.T) {
	for _, tc := range []struct {
		closing, proxied bool
		want             int32
	}{{false, false, 1}, {true, false, 2}, {false, true, 1}} {
		p := newPKI(t)
		ts, cl := refusingServer(t, p, tc.closing)
		cfg := &Config{RootCAs: p.ca.Pool(), Pins: []Pin{{Hash: SPKIPin(p.leaf.Cert)}}}
		var px *testProxy
		if tc.proxied {
			px = newTestProxy(t, nil, "", "", nil)
			proxy, err := FixedProxy("http://" + px.addr())
			if err != nil {
				t.Fatal(err)
			}
			cfg.Proxy = proxy
		}
		d := mustDialer(t, "wss://"+ts.Listener.Addr().String()+"/tether", cfg)
		_, _, err := d.dialWebSocket(context.Background(), nil)
		var he *HandshakeError
		if !errors.As(err, &he) || he.StatusCode != http.StatusBadRequest {
			t.Fatalf("closing %v: upgrade: %v, want a 400 HandshakeError", tc.closing, err)
		}
		resp, err := d.HTTPClient().Get("https://" + ts.Listener.Addr().String() + "/tether")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "fallback" {
			t.Fatalf("fallback answer %q", body)
		}
		if got := cl.n.Load(); got != tc.want {
			t.Fatalf("closing %v, proxied %v: %d connections accepted, want %d", tc.closing, tc.proxied, got, tc.want)
		}
		if px != nil && len(px.seen()) != int(tc.want) {
			t.Fatalf("proxied: %d CONNECTs, want %d", len(px.seen()), tc.want)
		}
	}
}

// A spare not taken within SpareWait is closed; one kept for another
// address is not given out.
func TestSpareDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &Dialer{}
		a, b := net.Pipe()
		defer b.Close()
		d.putSpare("https", "h:443", a)
		if d.takeSpare("https", "other:443") != nil || d.takeSpare("http", "h:443") != nil {
			t.Fatal("a spare given out for another target")
		}
		time.Sleep(SpareWait)
		synctest.Wait()
		if d.takeSpare("https", "h:443") != nil {
			t.Fatal("a spare given out after SpareWait")
		}
		if _, err := a.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
			t.Fatalf("the dropped spare is not closed: %v", err)
		}
	})
}

// Only an answer that leaves the connection at a message boundary, open,
// lends it: HTTP/1.1, no "Connection: close", a Content-Length body gorilla
// read whole.
func TestReusableAnswer(t *testing.T) {
	ok := func() *http.Response {
		return &http.Response{StatusCode: 400, ProtoMajor: 1, ProtoMinor: 1, ContentLength: 40}
	}
	for _, tc := range []struct {
		name   string
		change func(r *http.Response)
		want   bool
	}{
		{"HTTP/1.1, small body", func(*http.Response) {}, true},
		{"empty body", func(r *http.Response) { r.ContentLength = 0 }, true},
		{"HTTP/1.0", func(r *http.Response) { r.ProtoMinor = 0 }, false},
		{"Connection: close", func(r *http.Response) { r.Close = true }, false},
		{"chunked", func(r *http.Response) { r.ContentLength, r.TransferEncoding = -1, []string{"chunked"} }, false},
		{"body to the close", func(r *http.Response) { r.ContentLength = -1 }, false},
		{"body beyond what gorilla reads", func(r *http.Response) { r.ContentLength = maxSpareBody + 1 }, false},
		{"not a refusal", func(r *http.Response) { r.StatusCode = 200 }, false},
	} {
		r := ok()
		tc.change(r)
		if got := reusableAnswer(r); got != tc.want {
			t.Errorf("%s: reusable %v, want %v", tc.name, got, tc.want)
		}
	}
	if reusableAnswer(nil) {
		t.Error("no answer: reusable")
	}
}
