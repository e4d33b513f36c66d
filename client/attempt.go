package client

import (
	"context"
	"encoding/base64"
	"errors"

	"github.com/tether-sdk/tether/transport"
)

// attemptCanceler is a linkDialer that can cancel a new-session attempt by
// its id (PROTOCOL.md 4.8: POST ?tether=cancel&tether_attempt=A), so that
// a session the server created for an attach the client gave up before its
// welcome ends at once instead of after its ttl.
type attemptCanceler interface {
	CancelAttempt(ctx context.Context, attempt string) error
}

// CancelAttempt passes the cancel on when the links below can send one.
func (p publicLinks) CancelAttempt(ctx context.Context, attempt string) error {
	if cc, ok := p.d.(attemptCanceler); ok {
		return cc.CancelAttempt(ctx, attempt)
	}
	return nil
}

// newAttemptID returns 128 random bits, base64url without padding.
func newAttemptID() string {
	var b [16]byte
	randomBytes(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// cancelAttempt cancels the new-session attempt id, which ended with err
// and no link: unless the server answered it with a non-success status (it
// created no session then), the server may hold a session for it whose id
// the client never learned. The cancel goes in the background, bounded by
// orphanCloseWait and by the client's life.
func (c *Client) cancelAttempt(id string, err error) {
	if id == "" || answeredWithoutSession(err) {
		return
	}
	cc, ok := c.links.(attemptCanceler)
	if !ok {
		return
	}
	c.mu.Lock()
	if c.closed != nil {
		c.mu.Unlock()
		return
	}
	c.wg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(c.ctx, orphanCloseWait)
		defer cancel()
		if err := cc.CancelAttempt(ctx, id); err != nil {
			c.o.Logger.Debug("cancelling a given-up attempt failed", "error", err)
		}
	}()
}

// answeredWithoutSession reports an attempt that made no session: the server
// (or something on the way) answered with a non-success status, or the
// failure is permanent (not a Tether server, TLS, pins, settings).
func answeredWithoutSession(err error) bool {
	if permanent(err) {
		return true // not Tether, TLS, pins, bad settings: no session of ours
	}
	var he *transport.HandshakeError
	if errors.As(err, &he) && he.StatusCode >= 300 {
		return true
	}
	var se *ServerError
	if errors.As(err, &se) {
		return true
	}
	var pe *transport.ProxyError
	return errors.As(err, &pe)
}
