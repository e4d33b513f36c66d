//go:build !js

package transport

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// errHandshakeAnswer is what a capped connection's Read returns once the
// handshake answer used up its allowance.
var errHandshakeAnswer = errors.New("the answer to the upgrade is too long")

// handshakeConn caps the bytes read from a connection until the WebSocket
// handshake is complete (gorilla reads the upgrade answer's headers without
// a bound of its own), then reads without a cap. Reads before lift happen in
// the dialing goroutine only.
type handshakeConn struct {
	net.Conn
	left   int64 // bytes the handshake may still read
	hit    bool  // a read was refused for want of allowance
	lifted atomic.Bool
	wrote  func()   // called after the first write (the upgrade request); nil: none
	cut    *dialCut // before lift: a cancel's cut outlasts the deadlines gorilla sets; nil: none
}

// dialCut is a WebSocket dial's cancel. Once cut, the dialled connection's
// deadline is in the past, and so is every deadline set on it before the
// upgrade completes (handshakeConn): gorilla sets its handshake deadline
// after the dial returns, which would otherwise undo a cut made in between
// and leave the dial waiting for an answer that never comes.
type dialCut struct {
	mu   sync.Mutex
	done bool
	conn net.Conn
}

var pastDeadline = time.Unix(1, 0)

// dialled records the connection to cut (at once if the cut came first).
func (k *dialCut) dialled(c net.Conn) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.conn = c
	if k.done {
		c.SetDeadline(pastDeadline)
	}
}

// cut ends the dial: the connection's reads and writes fail now.
func (k *dialCut) cut() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.done = true
	if k.conn != nil {
		k.conn.SetDeadline(pastDeadline)
	}
}

// apply sets a deadline with set, or the past one once cut.
func (k *dialCut) apply(t time.Time, set func(time.Time) error) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.done {
		t = pastDeadline
	}
	return set(t)
}

func (c *handshakeConn) SetDeadline(t time.Time) error {
	if c.cut != nil && !c.lifted.Load() {
		return c.cut.apply(t, c.Conn.SetDeadline)
	}
	return c.Conn.SetDeadline(t)
}

func (c *handshakeConn) SetReadDeadline(t time.Time) error {
	if c.cut != nil && !c.lifted.Load() {
		return c.cut.apply(t, c.Conn.SetReadDeadline)
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *handshakeConn) SetWriteDeadline(t time.Time) error {
	if c.cut != nil && !c.lifted.Load() {
		return c.cut.apply(t, c.Conn.SetWriteDeadline)
	}
	return c.Conn.SetWriteDeadline(t)
}

func newHandshakeConn(c net.Conn, limit int64) *handshakeConn {
	return &handshakeConn{Conn: c, left: limit}
}

func (c *handshakeConn) Read(p []byte) (int, error) {
	if c.lifted.Load() {
		return c.Conn.Read(p)
	}
	if c.left <= 0 {
		c.hit = true
		return 0, errHandshakeAnswer
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.Conn.Read(p)
	c.left -= int64(n)
	return n, err
}

// Write writes p; the first write before lift (the upgrade request, which
// gorilla writes at once) calls wrote.
func (c *handshakeConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err == nil && !c.lifted.Load() && c.wrote != nil {
		f := c.wrote
		c.wrote = nil
		f()
	}
	return n, err
}

// Close closes the connection, except before lift: a failed upgrade's
// connection (gorilla closes it) may become the Dialer's spare, so
// dialWebSocket decides (putSpare or closeNow).
func (c *handshakeConn) Close() error {
	if c.lifted.Load() {
		return c.Conn.Close()
	}
	return nil
}

// closeNow closes the connection below.
func (c *handshakeConn) closeNow() error { return c.Conn.Close() }

// lift ends the cap: the handshake is complete.
func (c *handshakeConn) lift() { c.lifted.Store(true) }

// NetConn returns the connection below the cap: the *tls.Conn of a wss://
// target, the TCP (or proxy tunnel) connection of a ws:// one. It is what
// websocket.Conn.UnderlyingConn() wraps.
func (c *handshakeConn) NetConn() net.Conn { return c.Conn }
