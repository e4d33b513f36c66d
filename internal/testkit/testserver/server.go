// Package testserver is the test kit's server side: a Tether endpoint over TLS
// on a fixed loopback address that a test can stop and start again (a server
// restart, every connection cut), with a throwaway CA the clients trust, and
// the echo handler every suite uses. It is for tests only. (It is apart from
// package testkit because server's own tests use testkit, and this imports
// server.)
package testserver

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/certs"
	"github.com/tether-sdk/tether/server"
)

// Echo is a session's serve function that sends every message back to its
// sender, in order, until the session ends.
func Echo(s *server.Session) {
	for {
		m, err := s.Receive(s.Context())
		if err != nil {
			return
		}
		if s.Send(s.Context(), server.Message{Binary: m.Binary, Data: m.Data}) != nil {
			return
		}
	}
}

// Server serves an http.Handler over TLS (a certificate for 127.0.0.1 and
// localhost from CA) on a loopback address that stays the same across Stop
// and Start. Every server.Handler given to it is shut down when the test
// ends.
type Server struct {
	t    testing.TB
	Addr string    // host:port, fixed for the test
	CA   *certs.CA // trust it to reach the server
	cert tls.Certificate

	mu       sync.Mutex
	h        http.Handler
	handlers []*server.Handler
	srv      *http.Server
	conns    map[net.Conn]bool // every connection, hijacked (WebSocket) ones too
}

// New starts a Server for h (which may be a *server.Handler or wrap one;
// pass the Handler itself too, or nil, so that it is shut down at the end).
func New(t testing.TB, h http.Handler, owned *server.Handler) *Server {
	t.Helper()
	ca, err := certs.NewCA("tether test")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, CA: ca, cert: leaf.TLSCertificate()}
	s.SetHandler(h, owned)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(func() {
		s.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.mu.Lock()
		hs := s.handlers
		s.mu.Unlock()
		for _, h := range hs { // replaced ones too: their sessions' goroutines
			h.Shutdown(ctx)
		}
	})
	return s
}

// SetHandler replaces the handler served from the next Start on (a new
// server process). owned, if not nil, is shut down when the test ends.
func (s *Server) SetHandler(h http.Handler, owned *server.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h = h
	if owned != nil {
		s.handlers = append(s.handlers, owned)
	}
}

// URL is the endpoint's URL with scheme (wss or https) and path.
func (s *Server) URL(scheme, path string) string { return scheme + "://" + s.Addr + path }

// ClientTLS is a client TLS configuration that trusts the server's CA.
func (s *Server) ClientTLS() *tls.Config { return &tls.Config{RootCAs: s.CA.Pool()} }

func (s *Server) serve(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	srv := &http.Server{Handler: s.h, TLSConfig: &tls.Config{Certificates: []tls.Certificate{s.cert}},
		ErrorLog: log.New(io.Discard, "", 0),
		ConnState: func(c net.Conn, st http.ConnState) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.conns == nil {
				s.conns = map[net.Conn]bool{}
			}
			if st == http.StateClosed {
				delete(s.conns, c)
			} else {
				s.conns[c] = true
			}
		}}
	s.srv = srv
	go srv.ServeTLS(ln, "", "")
}

// Stop closes the listener and every connection, as a server process that
// exits does.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, conns := s.srv, s.conns
	s.srv, s.conns = nil, nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
	for c := range conns {
		c.Close() // http.Server.Close leaves hijacked connections open
	}
}

// Start listens again on the same address.
func (s *Server) Start() {
	s.t.Helper()
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", s.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond) // the port may linger for a moment
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.serve(ln)
}
