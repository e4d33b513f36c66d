//go:build !js

package transport

import (
	"errors"
	"net"
	"sync/atomic"
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
	wrote  func() // called after the first write (the upgrade request); nil: none
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
