//go:build !js

package client

import (
	"context"
	"crypto/tls"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/certs"
	"github.com/tether-sdk/tether/internal/testkit/testserver"
	"github.com/tether-sdk/tether/server"
	"github.com/tether-sdk/tether/transport"
)

// rig runs a server.Handler over TLS on a fixed loopback address that can be
// stopped and started again (a server restart): the test kit's server.
type rig struct {
	*testserver.Server
	t      *testing.T
	addr   string
	ca     *certs.CA
	handle *server.Handler
}

func newRig(t *testing.T, serve func(*server.Session), o *server.Options, wrap func(http.Handler) http.Handler) *rig {
	t.Helper()
	h := server.NewHandler(serve, o)
	srv := testserver.New(t, wrapped(h, wrap), h)
	return &rig{Server: srv, t: t, addr: srv.Addr, ca: srv.CA, handle: h}
}

func wrapped(h *server.Handler, wrap func(http.Handler) http.Handler) http.Handler {
	if wrap != nil {
		return wrap(h)
	}
	return h
}

// setHandler serves h from the next start on (a new server process).
func (r *rig) setHandler(h *server.Handler, wrap func(http.Handler) http.Handler) {
	r.handle = h
	r.SetHandler(wrapped(h, wrap), h)
}

// stop closes the listener and every connection.
func (r *rig) stop() { r.Stop() }

// start listens again on the same address.
func (r *rig) start() { r.Start() }

func (r *rig) url() string { return "wss://" + r.addr + "/live" }

// opts returns client options trusting the rig's CA, with events to ch.
func (r *rig) opts(ev *events) *Options {
	return &Options{
		Dial:           &transport.Config{RootCAs: r.ca.Pool(), Proxy: transport.NoProxy},
		OnEvent:        ev.add,
		InitialBackoff: 20 * time.Millisecond,
		MaxBackoff:     200 * time.Millisecond,
	}
}

// events records client events and lets tests wait for one.
type events struct {
	mu   sync.Mutex
	all  []Event
	wake chan struct{}
}

func newEvents() *events { return &events{wake: make(chan struct{})} }

func (e *events) add(ev Event) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	close(e.wake)
	e.wake = make(chan struct{})
	e.mu.Unlock()
}

// waitFor waits until an event matching pred was recorded after the n-th.
func (e *events) waitFor(t *testing.T, from int, what string, pred func(Event) bool) Event {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		e.mu.Lock()
		for _, ev := range e.all[min(from, len(e.all)):] {
			if pred(ev) {
				e.mu.Unlock()
				return ev
			}
		}
		w := e.wake
		e.mu.Unlock()
		select {
		case <-w:
		case <-deadline:
			t.Fatalf("no %s event; got %v", what, e.snapshot())
		}
	}
}

func (e *events) len() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.all)
}

func (e *events) snapshot() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.all...)
}

func connectedOn(tr string) func(Event) bool {
	return func(ev Event) bool {
		c, ok := ev.(ConnectedEvent)
		return ok && c.Transport == tr
	}
}

// echo sends every message back.
var echo = testserver.Echo

// roundTrip sends n messages with prefix and checks they come back in order.
func roundTrip(t *testing.T, c *Client, prefix string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		for i := 0; i < n; i++ {
			if err := c.Send(ctx, Text(prefix+itoa(i))); err != nil {
				return
			}
		}
	}()
	for i := 0; i < n; i++ {
		m, err := c.Receive(ctx)
		if err != nil {
			t.Fatalf("receive %d: %v", i, err)
		}
		if string(m.Data) != prefix+itoa(i) {
			t.Fatalf("message %d: got %q", i, m.Data)
		}
	}
}

func itoa(i int) string {
	return string(rune('0'+i/1000%10)) + string(rune('0'+i/100%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
}

// refuseUpgrades answers WebSocket upgrades with 400 while refuse() is true,
// like a reverse proxy that does not pass them.
func refuseUpgrades(refuse func() bool) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Upgrade") != "" && refuse() {
				http.Error(w, "upgrade not allowed here", http.StatusBadRequest)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// swallowUpgrades holds WebSocket upgrade requests without answering.
func swallowUpgrades(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			<-r.Context().Done()
			return
		}
		h.ServeHTTP(w, r)
	})
}

func mustDial(t *testing.T, url string, o *Options) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, url, o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// tlsTo is a client TLS config trusting the rig's CA (for proxies in front).
func (r *rig) tlsTo() *tls.Config { return &tls.Config{RootCAs: r.ca.Pool()} }
