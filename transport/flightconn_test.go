//go:build !js

package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// recordConn records the size of every Write that reaches it.
type recordConn struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
}

func (c *recordConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes = append(c.writes, bytes.Clone(p))
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *recordConn) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.writes)
}

// tunnelPair returns a client TLS config, the client end of a pipe
// marked as a proxy tunnel (recording its writes), and a TLS server on the
// other end (no session tickets: a pipe has no buffer for them) that
// reports the first bytes it reads.
func tunnelPair(t *testing.T, maxVersion uint16) (*tls.Config, *recordConn, chan []byte) {
	t.Helper()
	p := newPKI(t)
	cEnd, sEnd := net.Pipe()
	t.Cleanup(func() { cEnd.Close(); sEnd.Close() })
	rec := &recordConn{Conn: cEnd}
	got := make(chan []byte, 1)
	go func() {
		srv := tls.Server(sEnd, &tls.Config{Certificates: []tls.Certificate{p.leaf.TLSCertificate()}, MaxVersion: maxVersion, SessionTicketsDisabled: true})
		if srv.Handshake() != nil {
			close(got)
			return
		}
		buf := make([]byte, 64)
		n, _ := io.ReadAtLeast(srv, buf, 5)
		got <- buf[:n]
		io.Copy(io.Discard, srv)
	}()
	return &tls.Config{ServerName: "127.0.0.1", RootCAs: p.ca.Pool(), MaxVersion: maxVersion}, rec, got
}

// Through a proxy, the client's last TLS 1.3 flight and its first
// application bytes reach the connection in one write (ClientHello, then
// Finished with the request): a relaying proxy with Nagle's algorithm on has
// no second small write to hold back.
func TestClientTLSSendsFlightWithFirstWrite(t *testing.T) {
	cfg, rec, got := tunnelPair(t, tls.VersionTLS13)
	tc, err := clientTLS(context.Background(), tunnelConn{rec}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := rec.count(); n != 1 {
		t.Fatalf("%d writes by the end of the handshake, want 1 (the ClientHello; the Finished held)", n)
	}
	if _, err := tc.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; string(s) != "hello" {
		t.Fatalf("server read %q", s)
	}
	if n := rec.count(); n != 2 {
		t.Fatalf("%d writes, want 2 (ClientHello; Finished with the data)", n)
	}
	if _, err := tc.Write([]byte("more")); err != nil {
		t.Fatal(err)
	}
	if n := rec.count(); n != 3 {
		t.Fatalf("%d writes after a second application write, want 3 (writes pass through)", n)
	}
}

// TLS 1.2 waits for the server's Finished after its own: the held flight is
// sent at the read, and the handshake completes.
func TestClientTLS12FlushesFlightBeforeReading(t *testing.T) {
	cfg, rec, got := tunnelPair(t, tls.VersionTLS12)
	tc, err := clientTLS(context.Background(), tunnelConn{rec}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; string(s) != "hello" {
		t.Fatalf("server read %q", s)
	}
}

// A caller that reads first still gets its handshake completed: the held
// flight goes after flightHold.
func TestClientTLSFlushesFlightWhenNoWriteComes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPKI(t)
		cEnd, sEnd := net.Pipe()
		defer cEnd.Close()
		defer sEnd.Close()
		rec := &recordConn{Conn: cEnd}
		done := make(chan error, 1)
		go func() {
			srv := tls.Server(sEnd, &tls.Config{Certificates: []tls.Certificate{p.leaf.TLSCertificate()}, SessionTicketsDisabled: true})
			done <- srv.Handshake()
		}()
		cfg := &tls.Config{ServerName: "127.0.0.1", RootCAs: p.ca.Pool()}
		if _, err := clientTLS(context.Background(), tunnelConn{rec}, cfg); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("the server's handshake ended (%v) before the flight was sent", err)
		default:
		}
		time.Sleep(flightHold)
		if err := <-done; err != nil {
			t.Fatalf("server handshake: %v", err)
		}
	})
}

// A direct connection (not a tunnel) is not wrapped.
func TestClientTLSDirectIsNotHeld(t *testing.T) {
	cfg, rec, got := tunnelPair(t, tls.VersionTLS13)
	tc, err := clientTLS(context.Background(), rec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := rec.count(); n != 2 {
		t.Fatalf("%d writes by the end of the handshake, want 2", n)
	}
	tc.Write([]byte("hello"))
	<-got
}
