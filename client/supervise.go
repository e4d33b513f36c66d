package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// fullJitter picks a delay uniformly in [0, d] (AWS's "full jitter"), which
// spreads reconnect storms best.
func fullJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// The supervisor holds no goroutine while a link carries the session:
// guard hooks the link's death (conn.fail), which starts one (lost,
// afterDead) to reconnect, with backoff, until connected again, the client
// closes, or a permanent error. While on a fallback a probe goroutine tries
// WebSocket meanwhile.

// guard watches cn, just adopted, while it carries the session.
func (c *Client) guard(cn *conn) {
	var stopProbe context.CancelFunc
	if c.shouldProbe(cn) {
		probeCtx, cancel := context.WithCancel(c.ctx)
		stopProbe = cancel
		c.mu.Lock()
		if c.closed == nil { // under c.mu while open: the Add comes before Close's Wait
			c.wg.Add(1)
			go func() { defer c.wg.Done(); c.probeLoop(probeCtx, cn) }()
		}
		c.mu.Unlock()
	}
	cn.onDead(func() {
		if stopProbe != nil {
			stopProbe()
		}
		c.lost(cn)
	})
	c.dropIfPaused(cn)
}

// lost starts the supervisor after cn died, when cn still carried the
// session (not when a probe or a fresh path moved it elsewhere) and the
// client is open.
func (c *Client) lost(cn *conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed != nil || c.cur != cn {
		return
	}
	c.wg.Add(1)
	go func() { defer c.wg.Done(); c.afterDead(cn) }()
}

// supervise reconnects after a first connect's failure
// (Options.RetryOnFailedConnect).
func (c *Client) supervise(failed error) {
	defer c.wg.Done()
	c.reconnect(c.bo, &c.attempt, failed, false)
}

// afterDead reconnects after the death of cn, the session's link: the
// supervisor's turn (c.bo and c.attempt are its own: one runs at a time,
// as a link is adopted only by it or while it does not run).
func (c *Client) afterDead(cn *conn) {
	if c.ctx.Err() != nil {
		return
	}
	c.mu.Lock()
	if c.closing || c.closed != nil {
		c.mu.Unlock()
		c.finish(nil)
		return
	}
	healthy := time.Since(c.connectedAt) >= c.o.HealthyAfter
	c.state = StateReconnecting
	c.signalLocked()
	c.mu.Unlock()
	cause := cn.err
	c.ev.emit(DisconnectedEvent{Transport: cn.l.Transport(), Cause: cause})
	c.o.Logger.Info("disconnected", "transport", cn.l.Transport(), "cause", cause)
	if disabled(cause) {
		c.disable(cn.l.Transport())
	}
	if endsSession(cause) {
		c.finish(cause)
		return
	}
	// c.attempt numbers the reconnects since the last healthy connection:
	// it and the backoff step reset together (PROTOCOL.md section 14,
	// reconnect backoff), so a flapping server is not hammered and the
	// logged attempt says how far the schedule has gone.
	if healthy {
		c.bo.Reset()
		c.attempt = 0
	}
	c.reconnect(c.bo, &c.attempt, cause, errors.Is(cause, errSuperseded))
}

// reconnect retries until connected (true) or the client ends (false).
// *attempt counts the attempts since the last healthy connection (or
// Reconnect), as bo's step does.
func (c *Client) reconnect(bo *expBackoff, attempt *int, cause error, now bool) bool {
	var retryAfter time.Duration
	for first := true; ; first = false {
		*attempt++
		if c.o.MaxAttempts > 0 && *attempt > c.o.MaxAttempts {
			c.finish(cause)
			return false
		}
		if !c.holdWhilePaused(c.ctx) {
			return false
		}
		delay := fullJitter(bo.NextBackOff())
		if now && first {
			delay = 0
		}
		delay = max(delay, retryAfter)
		c.ev.emit(ReconnectingEvent{Attempt: *attempt, Delay: delay, Cause: cause})
		c.o.Logger.Info("reconnecting", "attempt", *attempt, "delay", delay)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-c.poke:
			t.Stop()
			bo.Reset()
			*attempt = 1
		case <-c.ctx.Done():
			t.Stop()
			return false
		}
		c.ev.emit(ConnectingEvent{Attempt: *attempt})
		start := time.Now()
		cn, reason, err := c.connect(c.ctx)
		if err == nil {
			c.adopt(cn, reason, time.Since(start), "")
			return true
		}
		if c.ctx.Err() != nil {
			return false
		}
		if permanent(err) {
			c.finish(err)
			return false
		}
		cause, retryAfter = err, retryAfterOf(err)
	}
}

// refresh asks the application for new credentials after a refusal.
func (c *Client) refresh(err error) bool {
	if c.o.RefreshCredentials == nil || transport.Classify(err) != transport.ClassUnauthorized {
		return false
	}
	return c.o.RefreshCredentials(c.ctx, err) == nil
}

// retryAfterOf is the server's requested delay, from a Retry-After header
// or an error answer's retry.
func retryAfterOf(err error) time.Duration {
	var he *transport.HandshakeError
	var se *ServerError
	d := time.Duration(0)
	if errors.As(err, &he) {
		d = he.RetryAfter
	}
	if errors.As(err, &se) {
		d = max(d, se.Retry)
	}
	return d
}

// shouldProbe: on a fallback, with WebSocket configured, offered by the
// server's welcome and not disabled by it (PROTOCOL.md 5.2, 13), probe it.
func (c *Client) shouldProbe(cn *conn) bool {
	return !c.o.Raw && c.o.ProbeInterval > 0 && cn.l.Transport() != wire.TransportWebSocket &&
		slices.Contains(c.o.Transports, wire.TransportWebSocket) && c.usable(wire.TransportWebSocket)
}

// probeDelay is the wait before a probe whose backoff step is step: drawn
// uniformly from [step/2, step] (PROTOCOL.md section 10: 30 s doubling to
// 5 minutes, jittered so clients that fell back together do not probe
// together).
func probeDelay(step time.Duration) time.Duration {
	return step/2 + fullJitter(step-step/2)
}

// probeLoop tries WebSocket in the background, with jittered backoff
// (probeDelay of ProbeInterval doubling to DefaultMaxProbeBackoff), and
// moves the session to it once a probe round-trips. A transport_disabled
// answer stops it for the session's life.
func (c *Client) probeLoop(ctx context.Context, from *conn) {
	bo := newBackoff(c.o.ProbeInterval, max(c.o.ProbeInterval, DefaultMaxProbeBackoff))
	c.mu.Lock()
	soon := c.probeSoon
	c.probeSoon = false
	c.mu.Unlock()
	for {
		d := probeDelay(bo.NextBackOff())
		if soon {
			// A fallback won a race over an unanswered WebSocket: it may
			// only be slow, so probe at once (once; then the schedule).
			d, soon = 0, false
			bo.Reset()
		}
		c.o.Logger.Debug("websocket probe scheduled", "delay", d)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		l, err := c.probe(ctx)
		if err != nil {
			c.o.Logger.Info("websocket probe failed", "error", err)
			if disabled(err) {
				c.disable(wire.TransportWebSocket)
			}
			if permanent(err) || !c.usable(wire.TransportWebSocket) {
				return
			}
			continue
		}
		c.mu.Lock()
		if c.cur != from || c.closed != nil || c.closing {
			c.mu.Unlock()
			l.Close()
			return
		}
		recv := c.in.Recv()
		c.mu.Unlock()
		cn := newConn(l)
		cn.upgrade = &wire.Frame{Kind: wire.KindUpgrade, Seq: recv}
		c.adopt(cn, "websocket probe round-tripped", 0, from.l.Transport())
		from.fail(errSuperseded)
		return
	}
}

// probe opens a probe WebSocket and proves a data round trip on it.
func (c *Client) probe(ctx context.Context) (link.Link, error) {
	header, err := c.headers(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	a := link.Attach{SID: c.sid, Key: c.key, Ack: c.in.Recv(), Probe: true}
	c.mu.Unlock()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	l, err := c.links.DialLink(pctx, wire.TransportWebSocket, header, a)
	if err != nil {
		return nil, err
	}
	if err := l.Send(pctx, []wire.Frame{{Kind: wire.KindPing, Seq: a.Ack}}); err != nil {
		l.Close()
		return nil, err
	}
	for {
		f, err := l.Recv(pctx)
		if err != nil {
			l.Close()
			return nil, err
		}
		if f.Kind == wire.KindPong {
			return l, nil
		}
	}
}
