package hostile

import (
	"io"
	"net"
	"sync/atomic"
)

// BlackHole accepts TCP connections on 127.0.0.1 and never answers: it
// reads and discards whatever arrives and holds each connection open until
// the client gives up or Close is called, like a firewall that completes the
// handshake and then drops everything.
type BlackHole struct {
	ln       net.Listener
	t        *tracker
	accepted atomic.Int64
	open     atomic.Int64
}

// NewBlackHole starts a BlackHole on 127.0.0.1:0.
func NewBlackHole() (*BlackHole, error) {
	ln, err := listenLocal()
	if err != nil {
		return nil, err
	}
	b := &BlackHole{ln: ln, t: newTracker()}
	b.t.goFunc(func() {
		b.t.acceptLoop(ln, func(c net.Conn) {
			b.accepted.Add(1)
			b.open.Add(1)
			defer b.open.Add(-1)
			io.Copy(io.Discard, c)
		})
	})
	return b, nil
}

// Addr returns the BlackHole's host:port.
func (b *BlackHole) Addr() string { return b.ln.Addr().String() }

// URL returns "http://" + Addr().
func (b *BlackHole) URL() string { return "http://" + b.Addr() }

// Accepted returns how many connections have been accepted.
func (b *BlackHole) Accepted() int64 { return b.accepted.Load() }

// Open returns how many accepted connections are still held open.
func (b *BlackHole) Open() int64 { return b.open.Load() }

// Close stops accepting, closes every held connection and waits for its
// goroutines.
func (b *BlackHole) Close() error {
	err := closeListener(b.ln)
	b.t.shutdown()
	b.t.wait()
	return err
}
