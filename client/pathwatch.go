package client

import (
	"context"
	"errors"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// Dead-path detection (issue 17): while the session has something in flight
// on its link (data sent and not acknowledged, or a ping of the client not
// answered), an answer overdue beyond pathBound makes the client attach a
// fresh connection of the same transport to the session. The server
// answers a resume attach with a welcome and supersedes the old connection
// (PROTOCOL.md 4.6), so a welcome on the fresh connection is the proof that
// the new path works; the session moves to it at once and the resume rules
// replay what the welcome's ack did not cover: nothing is lost or repeated.

// sentMark is one Send of data: the last seq it carried and when.
type sentMark struct {
	seq uint64
	at  time.Time
}

// pathState is what a conn's watcher reads; guarded by conn.mu.
type pathState struct {
	heard  time.Time  // last frame received (or the adopt)
	sends  []sentMark // data sends not yet acknowledged, oldest first
	pingAt time.Time  // the client's unanswered ping; zero when none
	kick   chan struct{}
}

// dataSent records, before the link's Send, that data up to last is in
// flight (a Send may block on a frozen path: the clock starts now).
func (cn *conn) dataSent(last uint64, now time.Time) {
	cn.mu.Lock()
	idle := len(cn.path.sends) == 0
	if n := len(cn.path.sends); n == 0 || cn.path.sends[n-1].seq < last {
		cn.path.sends = append(cn.path.sends, sentMark{seq: last, at: now})
	}
	cn.mu.Unlock()
	if idle {
		cn.kickWatch()
	}
}

func (cn *conn) kickWatch() {
	select {
	case cn.path.kick <- struct{}{}:
	default:
	}
}

// heardFrame records a frame from the server; ack is the frame's ack when
// hasAck. It returns a round-trip sample (0: none).
func (cn *conn) heardFrame(now time.Time, kind wire.Kind, ack uint64) time.Duration {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	cn.path.heard = now
	var rtt time.Duration
	if kind == wire.KindPong && !cn.path.pingAt.IsZero() {
		rtt = now.Sub(cn.path.pingAt)
		cn.path.pingAt = time.Time{}
	}
	if kind == wire.KindAck || kind == wire.KindPing || kind == wire.KindPong {
		i := 0
		for i < len(cn.path.sends) && cn.path.sends[i].seq <= ack {
			rtt = now.Sub(cn.path.sends[i].at)
			i++
		}
		cn.path.sends = cn.path.sends[i:]
	}
	return rtt
}

// outstanding is the send time of the oldest unanswered thing on cn, zero
// when nothing is in flight, and the time of the last frame heard.
func (cn *conn) outstanding() (since, heard time.Time) {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if len(cn.path.sends) > 0 {
		since = cn.path.sends[0].at
	}
	if p := cn.path.pingAt; !p.IsZero() && (since.IsZero() || p.Before(since)) {
		since = p
	}
	return since, cn.path.heard
}

// sample folds a round-trip sample into the smoothed RTT (RFC 6298's 1/8).
func (c *Client) sample(rtt time.Duration) {
	if rtt <= 0 {
		return
	}
	c.mu.Lock()
	if c.srtt == 0 {
		c.srtt = rtt
	} else {
		c.srtt += (rtt - c.srtt) / 8
	}
	c.mu.Unlock()
}

// pathBound is how late an answer may be before the path is probed:
// max(AckTimeout, AckTimeoutRTTs x smoothed RTT).
func (c *Client) pathBound() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return max(c.o.AckTimeout, AckTimeoutRTTs*c.srtt)
}

// watchPath runs beside cn's reader and writer while cn carries the session.
func (c *Client) watchPath(cn *conn) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		c.mu.Lock()
		current := c.cur == cn && c.closed == nil && !c.closing
		c.mu.Unlock()
		if !current {
			return
		}
		now := time.Now()
		since, heard := cn.outstanding()
		bound := c.pathBound()
		var wait time.Duration
		switch {
		case !since.IsZero() && !now.Before(since.Add(bound)):
			last := since
			if heard.After(last) {
				last = heard
			}
			silent := now.Sub(last)
			c.ev.emit(PathSilentEvent{Transport: cn.l.Transport(), Silent: silent, Probing: true})
			c.o.Logger.Info("path silent, probing", "transport", cn.l.Transport(), "silent", silent, "bound", bound)
			if c.probePath(cn) {
				return
			}
			wait = bound // the fresh path failed too: try again after a bound
		case !since.IsZero():
			wait = since.Add(bound).Sub(now)
		case c.o.Heartbeat > 0:
			if due := heard.Add(c.o.Heartbeat); now.Before(due) {
				wait = due.Sub(now)
			} else {
				c.pingPath(cn, now)
				continue
			}
		default:
			wait = -1 // nothing in flight, no client heartbeat: wait for a send
		}
		if wait >= 0 {
			t.Reset(wait)
		}
		var tc <-chan time.Time
		if wait >= 0 {
			tc = t.C
		}
		select {
		case <-tc:
		case <-cn.path.kick:
			t.Stop() // no drain: since Go 1.23 a stopped timer's channel holds no stale value
		case <-cn.dead:
			return
		case <-c.ctx.Done():
			return
		}
	}
}

// pingPath queues a client ping on cn (Options.Heartbeat): its pong is due
// within the path bound.
func (c *Client) pingPath(cn *conn, now time.Time) {
	recv := c.recv()
	cn.mu.Lock()
	cn.path.pingAt = now
	cn.path.heard = now // one ping per Heartbeat, not one per loop
	cn.replies = append(cn.replies, wire.Frame{Kind: wire.KindPing, Seq: recv})
	cn.mu.Unlock()
	c.mu.Lock()
	c.wakeWriterLocked()
	c.mu.Unlock()
}

// errPathSilent is the end of a link whose session moved to a fresh
// connection after the link went silent.
var errPathSilent = errors.New("tether: the path went silent; the session moved to a fresh connection")

// probePath attaches a fresh connection of cn's transport to the session
// and, once the server welcomed it, moves the session there. It reports
// whether cn stopped carrying the session.
func (c *Client) probePath(cn *conn) bool {
	tr := cn.l.Transport()
	ctx, cancel := context.WithTimeout(c.ctx, c.o.ConnectTimeout)
	defer cancel()
	// Stop the attempt when cn dies meanwhile.
	go func() {
		select {
		case <-cn.dead:
			cancel()
		case <-ctx.Done():
		}
	}()
	header, err := c.headers(ctx)
	if err != nil {
		return false
	}
	c.mu.Lock()
	a := link.Attach{SID: c.sid, Key: c.key, Ack: c.in.Recv()}
	c.mu.Unlock()
	// A fresh connection: the HTTP links' idle pooled connections went
	// through the same path and may be frozen too.
	if n, ok := c.closeLinks.(interface{ close() }); ok {
		n.close()
	}
	start := time.Now()
	l, err := c.links.DialLink(ctx, tr, header, a)
	if err != nil {
		c.o.Logger.Info("path probe failed", "transport", tr, "error", err)
		var se *ServerError
		if errors.As(err, &se) && c.ctx.Err() == nil {
			// The server answered (session gone, refusal): the ordinary
			// reconnect handles it.
			cn.fail(err)
			return true
		}
		return false
	}
	c.mu.Lock()
	if c.cur != cn || c.closed != nil || c.closing {
		c.mu.Unlock()
		l.Close()
		return true
	}
	c.mu.Unlock()
	c.adopt(newConn(l), "the path went silent; a fresh connection answered", time.Since(start), "")
	cn.fail(errPathSilent)
	return true
}
