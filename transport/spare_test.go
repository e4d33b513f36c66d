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
// carries the fallback's request: one TCP and TLS connection, not two.
// An answer with "Connection: close" does not.
func TestRefusedUpgradeConnectionReused(t *testing.T) {
	for _, tc := range []struct {
		closing bool
		want    int32
	}{{false, 1}, {true, 2}} {
		p := newPKI(t)
		ts, cl := refusingServer(t, p, tc.closing)
		d := mustDialer(t, "wss://"+ts.Listener.Addr().String()+"/tether", &Config{RootCAs: p.ca.Pool(), Pins: []Pin{{Hash: SPKIPin(p.leaf.Cert)}}})
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
			t.Fatalf("closing %v: %d connections accepted, want %d", tc.closing, got, tc.want)
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
