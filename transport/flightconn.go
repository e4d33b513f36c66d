//go:build !js

package transport

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// flightHold bounds how long flightConn keeps the client's last handshake
// flight waiting for the first application write. The write normally comes
// microseconds after the handshake (the upgrade request, the HTTP request);
// the bound only matters to a caller that reads first.
const flightHold = 20 * time.Millisecond

// flightConn sits below a TLS client on a connection through a proxy. It
// holds the client's last handshake flight (TLS 1.3: ChangeCipherSpec and
// Finished, written after the server's flight is verified) and sends it in one
// write with the first application bytes.
//
// Why: a proxy that relays with Nagle's algorithm on (tinyproxy) turns two
// writes that reach it apart (Finished, then the request) into two writes to
// the server, and holds the second until the server acknowledges the first;
// the server has nothing to answer to a Finished, so that ACK is its delayed
// one (40 ms on Linux). One write, one relay write, no wait.
//
// Writes pass through until hold is called (from VerifyConnection). Held
// bytes are sent before any read while the handshake is still running (TLS
// 1.2 waits for the server's Finished after its own), with the first write
// after it, or flightHold after handshaken, whichever comes first.
type flightConn struct {
	net.Conn

	mu      sync.Mutex
	holding bool   // writes are held
	done    bool   // the handshake is over
	held    []byte // the flight, not yet written
	timer   *time.Timer
	err     error // the error of a flush no caller saw

	// readFlush is holding && !done, read without the lock so that a read
	// never waits for a write.
	readFlush atomic.Bool
}

func newFlightConn(c net.Conn) *flightConn { return &flightConn{Conn: c} }

// hold starts holding writes: what the handshake writes from now on is its
// last flight.
func (c *flightConn) hold() {
	c.mu.Lock()
	c.holding = true
	c.readFlush.Store(true)
	c.mu.Unlock()
}

// handshaken says the handshake is over: the held flight goes with the first
// write, or after flightHold.
func (c *flightConn) handshaken() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done = true
	c.readFlush.Store(false)
	if len(c.held) > 0 && c.timer == nil {
		c.timer = time.AfterFunc(flightHold, func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.stopLocked()
		})
	}
}

// flushLocked writes the held flight, if any. Holding goes on (a TLS 1.2
// handshake, flushed by its read of the server's Finished, writes nothing
// more; its first application write then goes as it is).
func (c *flightConn) flushLocked() error {
	if len(c.held) == 0 {
		return c.err
	}
	_, err := c.Conn.Write(c.held)
	c.held = nil
	if err != nil && c.err == nil {
		c.err = err
	}
	return err
}

// stopLocked ends holding after writing what is held.
func (c *flightConn) stopLocked() error {
	c.holding = false
	c.readFlush.Store(false)
	if c.timer != nil {
		c.timer.Stop()
	}
	return c.flushLocked()
}

func (c *flightConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if !c.holding {
		err := c.err
		c.mu.Unlock()
		if err != nil {
			return 0, err
		}
		return c.Conn.Write(p)
	}
	if !c.done {
		c.held = append(c.held, p...)
		c.mu.Unlock()
		return len(p), nil
	}
	// The first write after the handshake: one write with the flight.
	buf := append(c.held, p...)
	c.held = nil
	c.holding = false
	c.readFlush.Store(false)
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	if _, err := c.Conn.Write(buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *flightConn) Read(p []byte) (int, error) {
	if c.readFlush.Load() {
		c.mu.Lock()
		if c.holding && !c.done {
			// The handshake waits for the server after its flight: send it.
			if err := c.flushLocked(); err != nil {
				c.mu.Unlock()
				return 0, err
			}
		}
		c.mu.Unlock()
	}
	return c.Conn.Read(p)
}

func (c *flightConn) Close() error {
	c.mu.Lock()
	if c.timer != nil {
		c.timer.Stop()
	}
	c.held = nil
	c.holding = false
	c.mu.Unlock()
	return c.Conn.Close()
}

// NetConn returns the connection below.
func (c *flightConn) NetConn() net.Conn { return c.Conn }
