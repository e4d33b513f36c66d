//go:build !js

package transport

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// didResume dials a WebSocket with d, exchanges a message (the client takes
// the server's session ticket while reading) and reports whether the TLS
// handshake resumed a session.
func didResume(t *testing.T, d *Dialer) bool {
	t.Helper()
	c, _, err := d.dialWebSocket(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	echo(t, c)
	return tlsOf(c).ConnectionState().DidResume
}

func tlsOf(c *websocket.Conn) *tls.Conn {
	return c.UnderlyingConn().(interface{ NetConn() net.Conn }).NetConn().(*tls.Conn)
}

// Clients made with the same TLS settings share one root pool (CA files
// read and parsed once) and one session cache: a second client resumes
// the session the first one made.
func TestSameSettingsShareRootsAndSessions(t *testing.T) {
	p := newPKI(t)
	ts := newTarget(t, p, nil)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, p.ca.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := func() *Config { return &Config{CAFiles: []string{ca}, Proxy: NoProxy} }
	a := mustDialer(t, ts.wsURL("/ws"), cfg())
	b := mustDialer(t, ts.wsURL("/ws"), cfg())
	if a.roots != b.roots || a.sessions != b.sessions {
		t.Fatal("two Dialers with the same CA file built two root pools or session caches")
	}
	if didResume(t, a) {
		t.Fatal("the first connection resumed: the test proves nothing")
	}
	if !didResume(t, b) {
		t.Fatal("a client with the same settings did not resume the session another one made")
	}
}

// Clients whose identity or trust differ share no sessions: another client
// certificate, another CA set, verification off.
func TestDifferentSettingsShareNothing(t *testing.T) {
	p := newPKI(t)
	ts := newTargetWith(t, p, nil, func(c *tls.Config) {
		c.ClientAuth = tls.VerifyClientCertIfGiven
		c.ClientCAs = p.ca.Pool()
	})
	one, err := p.ca.Issue("client one")
	if err != nil {
		t.Fatal(err)
	}
	two, err := p.ca.Issue("client two")
	if err != nil {
		t.Fatal(err)
	}
	pool := p.ca.Pool()
	base := mustDialer(t, ts.wsURL("/ws"), &Config{RootCAs: pool, Proxy: NoProxy, Certificates: []tls.Certificate{one.TLSCertificate()}})
	if didResume(t, base) {
		t.Fatal("the first connection resumed: the test proves nothing")
	}
	for name, cfg := range map[string]*Config{
		"another client certificate": {RootCAs: pool, Proxy: NoProxy, Certificates: []tls.Certificate{two.TLSCertificate()}},
		"no client certificate":      {RootCAs: pool, Proxy: NoProxy},
		"an extra CA":                {RootCAs: pool, Proxy: NoProxy, Certificates: []tls.Certificate{one.TLSCertificate()}, CAPEM: [][]byte{p.ca.CertPEM()}},
		"verification off":           {RootCAs: pool, Proxy: NoProxy, Certificates: []tls.Certificate{one.TLSCertificate()}, DangerousInsecureSkipVerify: true},
	} {
		t.Run(name, func(t *testing.T) {
			d := mustDialer(t, ts.wsURL("/ws"), cfg)
			if d.sessions == base.sessions {
				t.Fatal("shares the session cache")
			}
			if didResume(t, d) {
				t.Fatal("resumed a session made with other settings")
			}
		})
	}
	same := mustDialer(t, ts.wsURL("/ws"), &Config{RootCAs: pool, Proxy: NoProxy, Certificates: []tls.Certificate{one.TLSCertificate()}})
	if !didResume(t, same) {
		t.Fatal("the same settings did not resume: the cases above prove nothing")
	}
}

// The shared state lives while a Dialer holds it: settings no client uses
// any more leave nothing behind.
func TestSharedTLSReleased(t *testing.T) {
	p := newPKI(t)
	before := sharedTLSEntries()
	func() {
		for range 8 {
			// A pool of its own each time: eight different settings.
			if _, err := New("wss://127.0.0.1:1/", &Config{RootCAs: p.ca.Pool(), Proxy: NoProxy}); err != nil {
				t.Fatal(err)
			}
		}
	}()
	if got := sharedTLSEntries(); got < before+8 {
		t.Fatalf("%d entries after eight live settings, want %d", got, before+8)
	}
	// Cleanups run after a collection, on a goroutine of the runtime's: a
	// bounded number of collections, not a deadline.
	for i := 0; i < 100 && sharedTLSEntries() > before; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if got := sharedTLSEntries(); got > before {
		t.Fatalf("%d entries after the Dialers were dropped, want %d", got, before)
	}
}
