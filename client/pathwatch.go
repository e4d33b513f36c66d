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

	// The watcher is a timer, not a goroutine: checkPath runs when it
	// fires, at due, and arms it for the next time something may be
	// overdue (a send arms it earlier when it must: dataSent).
	timer   *time.Timer // nil: no watcher (raw mode, AckTimeout < 0)
	due     time.Time   // when timer fires; zero: not armed
	running bool        // a checkPath turn runs (or the watcher stopped for good)
	again   bool        // something changed while it ran: it looks again
}

// dataSent records, before the link's Send, that data up to last is in
// flight (a Send may block on a frozen path: the clock starts now); bound
// is the path bound (pathBound). The first send in flight arms the watcher
// for its answer's due time, unless it is armed earlier.
func (cn *conn) dataSent(last uint64, now time.Time, bound time.Duration) {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	idle := len(cn.path.sends) == 0
	if n := len(cn.path.sends); n == 0 || cn.path.sends[n-1].seq < last {
		cn.path.sends = append(cn.path.sends, sentMark{seq: last, at: now})
	}
	if idle {
		cn.armPathLocked(now, bound, true)
	}
}

// armPathLocked arms the watcher to fire after wait, unless it fires
// sooner; while a turn runs, kick makes it look again.
func (cn *conn) armPathLocked(now time.Time, wait time.Duration, kick bool) {
	p := &cn.path
	if p.timer == nil {
		return
	}
	if p.running {
		p.again = p.again || kick
		return
	}
	due := now.Add(wait)
	if p.due.IsZero() || due.Before(p.due) {
		p.due = due
		p.timer.Reset(wait)
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

// watchPath sets up cn's path watcher while cn carries the session: a
// timer whose turns (checkPath) probe the path when an answer is overdue
// and ping it when Options.Heartbeat is due. An idle connection holds no
// goroutine for it. The watcher stops when cn dies (fail) or no longer
// carries the session.
func (c *Client) watchPath(cn *conn) {
	cn.mu.Lock()
	cn.path.timer = time.AfterFunc(time.Hour, func() { c.checkPath(cn) })
	cn.path.timer.Stop()
	cn.mu.Unlock()
	c.checkPath(cn)
}

// checkPath is one turn of cn's path watcher, as its timer fires: probe
// when an answer is overdue, ping when the heartbeat is due, then arm the
// timer for the next due time (none: nothing in flight and no heartbeat).
func (c *Client) checkPath(cn *conn) {
	cn.mu.Lock()
	if cn.path.running {
		cn.path.again = true
		cn.mu.Unlock()
		return
	}
	cn.path.running = true
	cn.path.due = time.Time{}
	cn.mu.Unlock()
	c.mu.Lock()
	current := c.cur == cn && c.closed == nil && !c.closing
	if current {
		c.wg.Add(1) // under c.mu while open: before Close's Wait
	}
	c.mu.Unlock()
	if !current {
		return // stopped for good: running stays set
	}
	defer c.wg.Done()
	for {
		wait, stop := c.pathTurn(cn)
		cn.mu.Lock()
		switch {
		case stop:
			cn.mu.Unlock()
			return
		case cn.path.again:
			cn.path.again = false
			cn.mu.Unlock()
			continue
		}
		cn.path.running = false
		if wait >= 0 {
			cn.armPathLocked(time.Now(), wait, false)
		}
		cn.mu.Unlock()
		return
	}
}

// pathTurn looks at cn's path once: it probes a path whose answer is
// overdue and pings one whose heartbeat is due. It returns how long until
// the next look (negative: only after a send), or stop when cn no longer
// carries the session.
func (c *Client) pathTurn(cn *conn) (wait time.Duration, stop bool) {
	for {
		c.mu.Lock()
		current := c.cur == cn && c.closed == nil && !c.closing
		c.mu.Unlock()
		if !current {
			return 0, true
		}
		select {
		case <-cn.dead:
			return 0, true
		default:
		}
		now := time.Now()
		since, heard := cn.outstanding()
		bound := c.pathBound()
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
				return 0, true
			}
			return bound, false // the fresh path failed too: try again after a bound
		case !since.IsZero():
			return since.Add(bound).Sub(now), false
		case c.o.Heartbeat > 0:
			if due := heard.Add(c.o.Heartbeat); now.Before(due) {
				return due.Sub(now), false
			}
			c.pingPath(cn, now)
		default:
			return -1, false // nothing in flight, no client heartbeat: wait for a send
		}
	}
}

// pingPath queues a client ping on cn (Options.Heartbeat): its pong is due
// within the path bound.
func (c *Client) pingPath(cn *conn, now time.Time) {
	recv := c.recv()
	cn.mu.Lock()
	cn.path.pingAt = now
	cn.path.heard = now // one ping per Heartbeat, not one per turn
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
