package hostile

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// FaultOptions configures a [FaultProxy].
type FaultOptions struct {
	// Min and Max bound each connection's lifetime, drawn uniformly from
	// [Min, Max] when the connection to the target is made. Both zero means
	// connections are only cut by CutAll. Max below Min is treated as Min.
	Min, Max time.Duration
	// Seed seeds the math/rand/v2 PCG source that draws lifetimes, so a run
	// with the same seed and connection order is reproducible.
	Seed uint64
	// Reset makes cuts and refusals send a TCP RST instead of a FIN.
	Reset bool
}

// FaultProxy is a TCP relay on 127.0.0.1 in front of a target address that
// severs connections: each one (both sides at once) after a random lifetime
// in [Min, Max], every live one on CutAll, and new ones while paused.
type FaultProxy struct {
	ln     net.Listener
	t      *tracker
	target string
	reset  bool

	mu       sync.Mutex
	rng      *rand.Rand
	min, max time.Duration
	paused   bool
	links    map[*link]struct{}

	accepted atomic.Int64
	refused  atomic.Int64
	relayed  atomic.Int64
	cuts     atomic.Int64
	dialErrs atomic.Int64
}

// link is one relayed connection pair.
type link struct {
	client, server net.Conn
	timer          *time.Timer
	once           sync.Once
	frozen         atomic.Bool // FreezeAll: nothing passes, nothing closes
	deaf           atomic.Bool // StallAll: frozen, and nothing is read either
}

// NewFaultProxy starts a FaultProxy on 127.0.0.1:0 relaying to target
// (host:port).
func NewFaultProxy(target string, opts FaultOptions) (*FaultProxy, error) {
	ln, err := listenLocal()
	if err != nil {
		return nil, err
	}
	f := &FaultProxy{
		ln:     ln,
		t:      newTracker(),
		target: target,
		reset:  opts.Reset,
		rng:    rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		links:  make(map[*link]struct{}),
	}
	f.SetLifetimes(opts.Min, opts.Max)
	f.t.goFunc(func() { f.t.acceptLoop(ln, f.handle) })
	return f, nil
}

// Addr returns the proxy's host:port.
func (f *FaultProxy) Addr() string { return f.ln.Addr().String() }

// URL returns "http://" + Addr(); substitute the scheme the target speaks.
func (f *FaultProxy) URL() string { return "http://" + f.Addr() }

// SetLifetimes changes the lifetime range for connections made from now
// on; (0, 0) stops random cuts (for example to let a chaos test drain).
func (f *FaultProxy) SetLifetimes(min, max time.Duration) {
	if max < min {
		max = min
	}
	f.mu.Lock()
	f.min, f.max = min, max
	f.mu.Unlock()
}

// Pause makes the proxy refuse new connections: each is accepted and closed
// at once (counted by Refused). Live connections are untouched.
func (f *FaultProxy) Pause() {
	f.mu.Lock()
	f.paused = true
	f.mu.Unlock()
}

// Resume undoes Pause.
func (f *FaultProxy) Resume() {
	f.mu.Lock()
	f.paused = false
	f.mu.Unlock()
}

// CutAll severs every live connection now (both sides) and returns how many
// it cut.
func (f *FaultProxy) CutAll() int {
	f.mu.Lock()
	links := make([]*link, 0, len(f.links))
	for l := range f.links {
		links = append(links, l)
	}
	f.mu.Unlock()
	n := 0
	for _, l := range links {
		if f.cut(l, true) {
			n++
		}
	}
	return n
}

// FreezeAll freezes every live connection (both directions) and returns how
// many: from now on nothing they carry is forwarded, and nothing closes
// them (no FIN, no RST; a side's close is not passed on either), what a
// phone sees after a NAT rebinding or a Wi-Fi to cellular switch. New
// connections are relayed as before. Close releases the frozen ones.
func (f *FaultProxy) FreezeAll() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for l := range f.links {
		l.frozen.Store(true)
		if l.timer != nil {
			l.timer.Stop()
		}
	}
	return len(f.links)
}

// StallAll is FreezeAll where the relay also stops reading the frozen
// connections (both directions), so a sender's writes block once the
// kernel's buffers between them fill: a dead path whose TCP acks stopped
// (or a peer that stopped reading), as a server sees it. It returns how
// many connections it stalled. New connections are relayed as before;
// Close releases the stalled ones.
func (f *FaultProxy) StallAll() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for l := range f.links {
		l.deaf.Store(true)
		l.frozen.Store(true)
		if l.timer != nil {
			l.timer.Stop()
		}
	}
	return len(f.links)
}

// freezeReader drops what it reads once its link is frozen, and holds a
// frozen link's end (EOF, error) until the proxy closes.
type freezeReader struct {
	r   io.Reader
	l   *link
	ctx context.Context
}

func (r *freezeReader) Read(p []byte) (int, error) {
	for {
		if r.l.deaf.Load() {
			<-r.ctx.Done()
			return 0, net.ErrClosed
		}
		n, err := r.r.Read(p)
		if !r.l.frozen.Load() {
			return n, err
		}
		if err != nil {
			<-r.ctx.Done()
			return 0, err
		}
	}
}

// freezeConn is the target side of a link, read through a freezeReader.
type freezeConn struct {
	net.Conn
	l   *link
	ctx context.Context
}

func (c *freezeConn) Read(p []byte) (int, error) {
	return (&freezeReader{c.Conn, c.l, c.ctx}).Read(p)
}

// Accepted returns how many client connections were accepted, including
// refused ones.
func (f *FaultProxy) Accepted() int64 { return f.accepted.Load() }

// Refused returns how many connections were closed at once while paused.
func (f *FaultProxy) Refused() int64 { return f.refused.Load() }

// Relayed returns how many connections were relayed to the target.
func (f *FaultProxy) Relayed() int64 { return f.relayed.Load() }

// Cuts returns how many connections the proxy severed (lifetime expiry or
// CutAll); connections that ended by themselves or at Close do not count.
func (f *FaultProxy) Cuts() int64 { return f.cuts.Load() }

// DialErrors returns how many connections were dropped because the target
// could not be reached.
func (f *FaultProxy) DialErrors() int64 { return f.dialErrs.Load() }

// Active returns how many relayed connections are live.
func (f *FaultProxy) Active() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.links)
}

// Close stops the proxy, severs every connection and waits for its
// goroutines.
func (f *FaultProxy) Close() error {
	err := closeListener(f.ln)
	f.t.shutdown()
	f.mu.Lock()
	for l := range f.links {
		if l.timer != nil {
			l.timer.Stop()
		}
	}
	f.mu.Unlock()
	f.t.wait()
	return err
}

func (f *FaultProxy) handle(client net.Conn) {
	f.accepted.Add(1)
	f.mu.Lock()
	paused := f.paused
	f.mu.Unlock()
	if paused {
		f.refused.Add(1)
		if f.reset {
			setReset(client)
		}
		return // acceptLoop closes client
	}
	ctx, cancel := context.WithTimeout(f.t.ctx, 10*time.Second)
	server, err := f.t.dialTracked(ctx, "tcp", f.target)
	cancel()
	if err != nil {
		f.dialErrs.Add(1)
		return
	}
	f.relayed.Add(1)
	l := &link{client: client, server: server}
	f.mu.Lock()
	f.links[l] = struct{}{}
	if d, ok := f.drawLifetime(); ok {
		l.timer = time.AfterFunc(d, func() { f.cut(l, true) })
	}
	f.mu.Unlock()

	relay(f.t, client, &freezeReader{client, l, f.t.ctx}, &freezeConn{server, l, f.t.ctx})
	f.cut(l, false)
}

// drawLifetime draws the next connection lifetime; ok is false when
// random cuts are off. f.mu must be held.
func (f *FaultProxy) drawLifetime() (d time.Duration, ok bool) {
	if f.max <= 0 {
		return 0, false
	}
	d = f.min
	if span := int64(f.max - f.min); span > 0 {
		d += time.Duration(f.rng.Int64N(span + 1))
	}
	return d, true
}

// cut closes both sides of l once; counted cuts increment Cuts. It reports
// whether this call did the closing.
func (f *FaultProxy) cut(l *link, counted bool) bool {
	did := false
	l.once.Do(func() {
		did = true
		f.mu.Lock()
		delete(f.links, l)
		if l.timer != nil {
			l.timer.Stop()
		}
		f.mu.Unlock()
		if counted {
			f.cuts.Add(1)
			if f.reset {
				setReset(unwrapTCP(l.client))
				setReset(unwrapTCP(l.server))
			}
		}
		l.client.Close()
		l.server.Close()
	})
	return did
}

// unwrapTCP returns the net.Conn beneath a trackedConn.
func unwrapTCP(c net.Conn) net.Conn {
	if tc, ok := c.(*trackedConn); ok {
		return tc.Conn
	}
	return c
}
