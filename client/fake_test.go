//go:build !js

package client

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// fakeDialer is an in-memory linkDialer for deterministic tests in a
// testing/synctest bubble: dial decides each attempt; the links it returns
// are fakeLinks driven by the test.
type fakeDialer struct {
	mu    sync.Mutex
	calls []string // transport of every DialLink, in order
	dial  func(ctx context.Context, n int, tr string, a link.Attach) (link.Link, error)
}

func (d *fakeDialer) DialLink(ctx context.Context, tr string, _ http.Header, a link.Attach) (link.Link, error) {
	d.mu.Lock()
	d.calls = append(d.calls, tr)
	n := len(d.calls)
	d.mu.Unlock()
	return d.dial(ctx, n, tr, a)
}

func (d *fakeDialer) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.calls)
}

// silent is a dial that never answers (a server that accepted TCP and went
// quiet): it returns only when ctx ends.
func silent(ctx context.Context, _ int, _ string, _ link.Attach) (link.Link, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// fakeLink is one attached transport; the test plays the server through
// push and sent.
type fakeLink struct {
	tr      string
	welcome *wire.Welcome
	in      chan wire.Frame
	once    sync.Once
	closed  chan struct{}

	mu    sync.Mutex
	sent  []wire.Frame
	pong  bool // answer p with q (a probe's round trip)
	acked uint64
}

func newFakeLink(tr, sid string, resumed bool) *fakeLink {
	return &fakeLink{tr: tr, welcome: &wire.Welcome{V: 1, SID: sid, Key: "k", Resumed: resumed, Max: 1 << 20},
		in: make(chan wire.Frame, 64), closed: make(chan struct{})}
}

func (l *fakeLink) Transport() string      { return l.tr }
func (l *fakeLink) Welcome() *wire.Welcome { return l.welcome }

func (l *fakeLink) Send(ctx context.Context, frames []wire.Frame) error {
	select {
	case <-l.closed:
		return net.ErrClosed
	default:
	}
	l.mu.Lock()
	l.sent = append(l.sent, frames...)
	l.mu.Unlock()
	for _, f := range frames {
		if f.Kind == wire.KindPing && l.pong {
			l.push(wire.Frame{Kind: wire.KindPong, Seq: 0})
		}
		if f.Kind == wire.KindClose {
			// The server answers the client's close.
			l.push(wire.Frame{Kind: wire.KindClose, Close: &wire.Close{Code: wire.CloseNormal}})
		}
	}
	return nil
}

// Acked sends an ack frame at once when recv is new, as a WebSocket link
// does (soon).
func (l *fakeLink) Acked(recv uint64) {
	l.mu.Lock()
	fresh := recv > l.acked
	l.acked = max(l.acked, recv)
	l.mu.Unlock()
	if fresh {
		_ = l.Send(context.Background(), []wire.Frame{{Kind: wire.KindAck, Seq: recv}})
	}
}

func (l *fakeLink) Recv(ctx context.Context) (wire.Frame, error) {
	select {
	case f := <-l.in:
		return f, nil
	case <-l.closed:
		return wire.Frame{}, net.ErrClosed
	case <-ctx.Done():
		return wire.Frame{}, ctx.Err()
	}
}

func (l *fakeLink) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *fakeLink) push(f wire.Frame) { l.in <- f }

// fakeOpts are options dialing through d, with events recorded in ev.
func fakeOpts(d *fakeDialer, ev *events) *Options {
	return &Options{linkDialer: d, OnEvent: ev.add, ProbeInterval: -1}
}

// fakeLinks is a fakeDialer whose every dial succeeds with a fresh fakeLink
// of session s1 (resumed when the attach names a session), handed to the
// test on links (buffered n).
func fakeLinks(n int) (d *fakeDialer, links chan *fakeLink) {
	links = make(chan *fakeLink, n)
	d = &fakeDialer{dial: func(_ context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
		l := newFakeLink(tr, "s1", a.SID != "")
		links <- l
		return l, nil
	}}
	return d, links
}

// dialFake dials a Client through d (inside the test's synctest bubble) with
// its events recorded; tweak, when not nil, adjusts the options first. The
// client is closed when the test ends.
func dialFake(t *testing.T, d *fakeDialer, tweak func(*Options)) (*Client, *events) {
	t.Helper()
	ev := newEvents()
	o := fakeOpts(d, ev)
	if tweak != nil {
		tweak(o)
	}
	c, err := Dial(t.Context(), fakeURL, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c, ev
}
