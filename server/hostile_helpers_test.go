package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/wire"
)

// newPlainRig is a Handler behind a plaintext httptest server on 127.0.0.1
// that counts its open connections. Writes to the connections it accepts
// pass through gate: closed, they block (honouring write deadlines) like
// writes to a peer that never reads, without depending on socket buffer
// sizes.
func newPlainRig(t *testing.T, serve func(*Session), o *Options) (*rig, *atomic.Int64, *gate) {
	t.Helper()
	h := NewHandler(serve, o)
	srv := httptest.NewUnstartedServer(h)
	g := newGate()
	srv.Listener = gatedListener{srv.Listener, g}
	var open atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	srv.Start()
	r := &rig{t: t, h: h, srv: srv, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
	t.Cleanup(func() {
		g.set(true)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.Shutdown(ctx)
		srv.CloseClientConnections()
		srv.Close()
		r.client.CloseIdleConnections()
	})
	return r, &open, g
}

// gate blocks writes while closed.
type gate struct {
	mu   sync.Mutex
	open chan struct{} // closed while the gate is open
}

func newGate() *gate {
	g := &gate{open: make(chan struct{})}
	close(g.open)
	return g
}

func (g *gate) set(open bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.open:
		if !open {
			g.open = make(chan struct{})
		}
	default:
		if open {
			close(g.open)
		}
	}
}

func (g *gate) wait() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

type gatedListener struct {
	net.Listener
	g *gate
}

func (l gatedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &gatedConn{Conn: c, g: l.g}, nil
}

type gatedConn struct {
	net.Conn
	g        *gate
	mu       sync.Mutex
	deadline time.Time
}

func (c *gatedConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetWriteDeadline(t)
}

func (c *gatedConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

func (c *gatedConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	d := c.deadline
	c.mu.Unlock()
	var expire <-chan time.Time
	if !d.IsZero() {
		t := time.NewTimer(time.Until(d))
		defer t.Stop()
		expire = t.C
	}
	select {
	case <-c.g.wait():
		return c.Conn.Write(b)
	case <-expire:
		return 0, os.ErrDeadlineExceeded
	}
}

// dialPlainWS opens a raw WebSocket to a plain rig.
func (r *rig) dialPlainWS(header http.Header) (*websocket.Conn, error) {
	d := websocket.Dialer{Subprotocols: []string{wire.Subprotocol}}
	c, _, err := d.Dial("ws"+r.srv.URL[len("http"):]+"/live", header)
	return c, err
}

// eventually waits for cond, failing the test with what after a generous
// bound: for outcomes of real-socket tests, never as a timing assertion.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// onlySession is the rig's one live session.
func (r *rig) onlySession() *Session {
	r.t.Helper()
	all := r.h.opts.Store.All()
	if len(all) != 1 {
		r.t.Fatalf("%d sessions, want 1", len(all))
	}
	return all[0]
}

// fromAddr makes requests look forwarded for addr by a trusted proxy
// (the rig's Options.TrustedProxies must hold 127.0.0.1).
func fromAddr(req *http.Request, addr string) *http.Request {
	req.Header.Set("X-Forwarded-For", addr)
	return req
}

func decodeError(t *testing.T, resp *http.Response, e *wire.Error) {
	t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(e); err != nil {
		t.Fatalf("status %d: the body is not an error object: %v", resp.StatusCode, err)
	}
}
