package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/internal/certs"
	"github.com/tether-sdk/tether/internal/hostile"
	"github.com/tether-sdk/tether/server"
	"github.com/tether-sdk/tether/transport"
)

// world is the demo's network, all on 127.0.0.1: a Tether echo server over
// TLS (a fresh CA), an HTTP forward proxy, a reverse proxy that strips
// WebSocket upgrades and one that buffers responses.
type world struct {
	ca        *certs.CA
	leaf      *x509.Certificate
	handler   *server.Handler
	srv       *restartable
	forward   *hostile.ForwardProxy
	strip     *hostile.StripUpgrade
	buffering *hostile.Buffering
}

func newWorld() (*world, error) {
	w := &world{}
	ok := false
	defer func() {
		if !ok {
			w.close()
		}
	}()
	var err error
	if w.ca, err = certs.NewCA("Tether demo CA"); err != nil {
		return nil, err
	}
	leaf, err := w.ca.Issue("127.0.0.1", "localhost")
	if err != nil {
		return nil, err
	}
	w.leaf = leaf.Cert
	cert := leaf.TLSCertificate()
	w.handler = server.NewHandler(echo, nil)
	if w.srv, err = newRestartable(w.handler, &cert); err != nil {
		return nil, err
	}
	backend := "https://" + w.srv.addr
	backendTLS := &tls.Config{RootCAs: w.ca.Pool()}
	if w.forward, err = hostile.NewForwardProxy(hostile.ProxyOptions{}); err != nil {
		return nil, err
	}
	if w.strip, err = hostile.NewStripUpgrade(backend, hostile.ReverseOptions{BackendTLS: backendTLS, TLS: &cert}); err != nil {
		return nil, err
	}
	if w.buffering, err = hostile.NewBuffering(backend, hostile.BufferingOptions{BackendTLS: backendTLS, TLS: &cert}); err != nil {
		return nil, err
	}
	ok = true
	return w, nil
}

func (w *world) serverURL() string { return "wss://" + w.srv.addr + "/" }

// options are the client's: trust the demo's CA (as --cacert does), no
// proxy unless a step sets one, and short timers so the demo is quick.
func (w *world) options(log *eventLog) *client.Options {
	return &client.Options{
		Dial:           &transport.Config{CAPEM: [][]byte{w.ca.CertPEM()}, Proxy: transport.NoProxy},
		OnEvent:        log.handle,
		FirstEventWait: 1500 * time.Millisecond,
		InitialBackoff: 100 * time.Millisecond,
		MaxBackoff:     time.Second,
	}
}

func (w *world) close() {
	if w.handler != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		w.handler.Shutdown(ctx)
		cancel()
	}
	if w.forward != nil {
		w.forward.Close()
	}
	if w.strip != nil {
		w.strip.Close()
	}
	if w.buffering != nil {
		w.buffering.Close()
	}
	if w.srv != nil {
		w.srv.stop()
	}
}

// restartable serves one Handler over TLS on a fixed address and can be
// stopped (listener and every connection closed, hijacked WebSockets
// included: a crash, as the clients see it) and started again on the same
// address with the same Handler, whose sessions survive.
type restartable struct {
	addr  string
	h     http.Handler
	tls   *tls.Config
	mu    sync.Mutex
	srv   *http.Server
	conns map[net.Conn]bool
}

func newRestartable(h http.Handler, cert *tls.Certificate) (*restartable, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &restartable{addr: ln.Addr().String(), h: h,
		tls: &tls.Config{Certificates: []tls.Certificate{*cert}, NextProtos: []string{"http/1.1"}}}
	r.serve(ln)
	return r, nil
}

func (r *restartable) serve(ln net.Listener) {
	srv := &http.Server{
		Handler:  r.h,
		ErrorLog: log.New(io.Discard, "", 0),
		ConnState: func(c net.Conn, st http.ConnState) {
			r.mu.Lock()
			defer r.mu.Unlock()
			if st == http.StateClosed {
				delete(r.conns, c)
			} else if r.conns != nil {
				r.conns[c] = true
			}
		},
	}
	r.mu.Lock()
	r.srv, r.conns = srv, map[net.Conn]bool{}
	r.mu.Unlock()
	go srv.Serve(tls.NewListener(ln, r.tls))
}

// stop closes the listener and every connection.
func (r *restartable) stop() {
	r.mu.Lock()
	srv, conns := r.srv, r.conns
	r.srv, r.conns = nil, nil
	r.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
	for c := range conns {
		c.Close() // http.Server.Close leaves hijacked connections (WebSockets) open
	}
}

// start listens on the same address again.
func (r *restartable) start() error {
	var ln net.Listener
	var err error
	for i := 0; i < 100; i++ {
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			r.serve(ln)
			return nil
		}
		time.Sleep(20 * time.Millisecond) // the port may linger a moment
	}
	return fmt.Errorf("listening on %s again: %w", r.addr, err)
}
