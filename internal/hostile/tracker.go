package hostile

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// tracker owns the goroutines and connections of one component so that
// Close can sever everything and wait for it.
type tracker struct {
	ctx    context.Context
	cancel context.CancelFunc

	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
}

func newTracker() *tracker {
	ctx, cancel := context.WithCancel(context.Background())
	return &tracker{ctx: ctx, cancel: cancel, conns: make(map[net.Conn]struct{})}
}

// goFunc runs f in a tracked goroutine; it reports false (and does not run
// f) once the tracker is closed.
func (t *tracker) goFunc(f func()) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		f()
	}()
	return true
}

// enter registers a unit of work run on a goroutine the tracker did not
// start (an http.Server handler); the caller must call t.wg.Done when it
// reports true.
func (t *tracker) enter() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.wg.Add(1)
	return true
}

// add tracks c so that shutdown closes it. If the tracker is already closed
// it closes c and reports false. c is closed after the lock is released: a
// trackedConn's Close removes itself, under the same lock (a dial that
// completed as the tracker shut down deadlocked here).
func (t *tracker) add(c net.Conn) bool {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		c.Close()
		return false
	}
	t.conns[c] = struct{}{}
	t.mu.Unlock()
	return true
}

// remove forgets c (without closing it).
func (t *tracker) remove(c net.Conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
}

// isClosed reports whether shutdown has begun.
func (t *tracker) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// shutdown marks the tracker closed, cancels its context and closes every
// tracked connection. It does not wait; call wait for that.
func (t *tracker) shutdown() {
	t.mu.Lock()
	t.closed = true
	conns := t.conns
	t.conns = make(map[net.Conn]struct{})
	t.mu.Unlock()
	t.cancel()
	for c := range conns {
		c.Close()
	}
}

// wait blocks until every tracked goroutine has returned.
func (t *tracker) wait() { t.wg.Wait() }

// acceptLoop accepts connections from ln until it fails after shutdown,
// tracking each connection and running handle on it in a tracked goroutine.
// The connection is closed and untracked when handle returns.
func (t *tracker) acceptLoop(ln net.Listener, handle func(net.Conn)) {
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if t.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Transient failure (e.g. out of file descriptors): back off.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(delay):
			case <-t.ctx.Done():
				return
			}
			continue
		}
		delay = 0
		if !t.add(c) {
			continue
		}
		if !t.goFunc(func() {
			defer t.remove(c)
			defer c.Close()
			handle(c)
		}) {
			t.remove(c)
			c.Close()
		}
	}
}

// trackedListener wraps a listener so every accepted connection is tracked
// (and untracked when closed), including connections later hijacked from an
// http.Server.
type trackedListener struct {
	net.Listener
	t *tracker
}

func (l trackedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: c, t: l.t}
		if l.t.add(tc) {
			return tc, nil
		}
	}
}

// trackedConn untracks itself when closed.
type trackedConn struct {
	net.Conn
	t    *tracker
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.t.remove(c) })
	return c.Conn.Close()
}

// dialTracked dials addr with the tracker's context and tracks the result.
func (t *tracker) dialTracked(ctx context.Context, network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(t.ctx, cancel)
	defer stop()
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, t: t}
	if !t.add(tc) {
		return nil, net.ErrClosed
	}
	return tc, nil
}

// listenLocal listens on an ephemeral TCP port of 127.0.0.1.
func listenLocal() (net.Listener, error) {
	return net.Listen("tcp", "127.0.0.1:0")
}

// setReset makes closing c send a TCP RST instead of a FIN, when possible.
func setReset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
}

// closeListener closes ln, treating an already closed listener as success
// so that Close methods are idempotent.
func closeListener(ln net.Listener) error {
	if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}
