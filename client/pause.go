package client

import (
	"context"
	"errors"
	"sync"
)

// ErrPaused is the Cause of the DisconnectedEvent that Pause causes.
var ErrPaused = errors.New("tether: paused by the application")

// pauseState holds Pause/Resume. It has its own lock so that the hooks in the
// supervisor never take the client's.
type pauseState struct {
	mu      sync.Mutex
	paused  bool
	resumed chan struct{} // closed by Resume; nil while not paused
}

// Pause drops the current connection without ending the session and holds
// every reconnect until Resume: a mobile app calls it when it goes to the
// background. The server keeps the session for its ttl (PROTOCOL.md, 120 s
// by default) and keeps the messages it sends meanwhile; Resume resumes the
// session and they arrive, none lost and none twice. Messages passed to Send
// while paused wait in the send queue (Options.MaxQueuedBytes). The
// DisconnectedEvent's Cause is ErrPaused. Pause returns at once; calling it
// again while paused does nothing. Close while paused ends the client
// without telling the server, which forgets the session after its ttl.
func (c *Client) Pause() {
	c.pause.mu.Lock()
	if !c.pause.paused {
		c.pause.paused = true
		c.pause.resumed = make(chan struct{})
	}
	c.pause.mu.Unlock()
	c.mu.Lock()
	cur := c.cur
	c.mu.Unlock()
	if cur != nil {
		cur.fail(ErrPaused)
	}
}

// Resume ends a Pause: the client reconnects now, with the backoff reset,
// and resumes the session. It returns at once, and does nothing when the
// client is not paused.
func (c *Client) Resume() {
	c.pause.mu.Lock()
	was := c.pause.paused
	if was {
		c.pause.paused = false
		close(c.pause.resumed)
		c.pause.resumed = nil
	}
	c.pause.mu.Unlock()
	if was {
		c.Reconnect()
	}
}

// Paused reports whether the client is paused.
func (c *Client) Paused() bool {
	c.pause.mu.Lock()
	defer c.pause.mu.Unlock()
	return c.pause.paused
}

// holdWhilePaused blocks a reconnect while the client is paused; false when
// the client ended meanwhile.
func (c *Client) holdWhilePaused(ctx context.Context) bool {
	c.pause.mu.Lock()
	w := c.pause.resumed
	c.pause.mu.Unlock()
	if w == nil {
		return true
	}
	select {
	case <-w:
		return true
	case <-ctx.Done():
		return false
	}
}

// dropIfPaused drops a connection adopted while a Pause was under way (the
// connect had started before it).
func (c *Client) dropIfPaused(cn *conn) {
	if c.Paused() {
		cn.fail(ErrPaused)
	}
}

// ErrNetworkChanged is the Cause of the DisconnectedEvent that
// NetworkChanged causes.
var ErrNetworkChanged = errors.New("tether: the device's network changed")

// NetworkChanged tells the client the device moved to another network (a
// mobile app's connectivity callback). A connection made over the old
// network is usually dead, and finding out takes up to the server's
// heartbeat timeout, while a resume costs one handshake and loses nothing:
// so the current connection is dropped (the DisconnectedEvent's Cause is
// ErrNetworkChanged) and the client reconnects now, with the backoff reset,
// resuming the session. While reconnecting, the pending reconnect starts
// now. While paused it does nothing more (Resume reconnects). Either way
// the long-poll hold the client's links learned (PROTOCOL.md 9.3: the idle
// timeout of a proxy on the old network's way) is forgotten. It returns at
// once.
func (c *Client) NetworkChanged() {
	if n, ok := c.closeLinks.(interface{ forgetPath() }); ok {
		n.forgetPath()
	}
	if c.Paused() {
		return
	}
	c.mu.Lock()
	cur := c.cur
	c.mu.Unlock()
	if cur != nil {
		cur.fail(ErrNetworkChanged)
	}
	c.Reconnect()
}
