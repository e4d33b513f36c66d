package client

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/seq"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/internal/xfmt"
	"github.com/tether-sdk/tether/transport"
)

// order returns the transports to try: the one that last worked first (it
// is remembered for the client's life), then the rest in the configured
// order; without those the session's welcome left out of its transports or
// the server answered transport_disabled for (PROTOCOL.md 5.2, 13).
func (c *Client) order() []string {
	c.mu.Lock()
	last := c.lastGood
	c.mu.Unlock()
	order := slices.DeleteFunc(slices.Clone(c.o.Transports), func(tr string) bool { return !c.usable(tr) })
	if i := slices.Index(order, last); i > 0 {
		order = append([]string{last}, slices.Delete(order, i, i+1)...)
	}
	return order
}

// usable reports whether the session may use tr: the server's last welcome
// offered it (or none came yet) and the server did not answer
// transport_disabled for it. Both hold for the session's life; a new
// session starts from its own welcome (sessionLost clears them).
func (c *Client) usable(tr string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.offered != nil && !slices.Contains(c.offered, tr) {
		return false
	}
	return !slices.Contains(c.disabled, tr)
}

// disable records the server's transport_disabled for tr.
func (c *Client) disable(tr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.Contains(c.disabled, tr) {
		c.disabled = append(c.disabled, tr)
		c.o.Logger.Info("the server disabled a transport: not using it again in this session", "transport", tr)
	}
}

// disabled reports the server's answer transport_disabled.
func disabled(err error) bool {
	var se *ServerError
	return errors.As(err, &se) && se.Code == CodeTransportDisabled
}

// errNoTransport is the end of a client whose every configured transport
// is disabled by the server or missing from its welcome.
var errNoTransport = &ProtocolError{Reason: "no transport left: the server disabled, or does not offer, every transport in Options.Transports"}

type dialResult struct {
	transport string
	attempt   string // the attach's Attempt id ("" on a resume)
	l         link.Link
	err       error
	elapsed   time.Duration
}

// errAttemptTimeout is the cause of a transport attempt that got no answer
// within Options.ConnectTimeout.
var errAttemptTimeout = errors.New("no answer in time (Options.ConnectTimeout)")

// connect negotiates a transport: it starts the first; a refusal starts the
// next at once, silence past SlowTimeout starts the next in parallel, and the
// first to complete its welcome (a data round trip) wins. A permanent failure
// ends the negotiation at once. When the server no longer knows the session,
// the loss is reported and a new session is negotiated.
func (c *Client) connect(ctx context.Context) (*conn, string, error) {
	cn, reason, err := c.negotiate(ctx)
	if err != nil && sessionGone(err) && c.hasSession() {
		c.sessionLost(err)
		cn, reason, err = c.negotiate(ctx)
	}
	for i := 0; i < 3 && err != nil && c.refresh(err); i++ {
		cn, reason, err = c.negotiate(ctx) // new credentials: try again
	}
	return cn, reason, err
}

// proxyAuth reports a proxy that wants (other) credentials: every transport
// goes through the same proxy, so the others would fail the same way.
func proxyAuth(err error) bool {
	var pe *transport.ProxyError
	return errors.As(err, &pe) && pe.AuthRequired()
}

// sessionGone reports the server's answer that it no longer knows the
// session: every transport would say the same, so it ends a negotiation.
func sessionGone(err error) bool {
	var se *ServerError
	return errors.As(err, &se) && se.Code == CodeSessionNotFound
}

// tooMany reports the server's answer that it will not start another
// session now: every transport would say the same; wait as it asks.
func tooMany(err error) bool {
	var se *ServerError
	return errors.As(err, &se) && se.Code == CodeTooManySessions
}

func (c *Client) hasSession() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sid != ""
}

// sessionLost reports the messages that could not be guaranteed (to OnEvent,
// and to Receive once, after the messages of the old session), and resets
// the session state for a new session.
func (c *Client) sessionLost(answer error) {
	c.mu.Lock()
	var lost []Message
	for _, m := range c.out.Unacked() {
		lost = append(lost, Message{Binary: m.Binary, Data: m.Data})
	}
	cause := &SessionLostError{Unacknowledged: len(lost), Err: answer}
	c.out = seq.Outbox{}
	c.in = seq.Receiver{}
	c.sid, c.key = "", ""
	c.offered, c.disabled = nil, nil // a new session goes by its own welcome
	c.inbox = append(c.inbox, entry{err: cause})
	c.losses++
	c.lastLoss = cause
	c.signalLocked()
	c.mu.Unlock()
	c.o.Logger.Warn("session lost", "unacknowledged", len(lost), "cause", answer)
	c.ev.emit(SessionLostEvent{Unacknowledged: lost, Cause: cause})
}

// attempt is one transport dial in a negotiation.
type attempt struct {
	transport string
	start     time.Time
	done      bool
	paced     time.Duration // > 0: the next transport was due this long after its request was sent
	rtt       time.Duration // the round trip paced was computed from
}

// sentNote is an attempt's request on the wire (link.Attach.Sent).
type sentNote struct {
	a   *attempt
	rtt time.Duration
	at  time.Time
}

func (c *Client) negotiate(ctx context.Context) (*conn, string, error) {
	order := c.order()
	if len(order) == 0 {
		return nil, "", errNoTransport
	}
	header, err := c.headers(ctx)
	if err != nil {
		return nil, "", xfmt.Errorf("tether: HeaderFunc: %w", err)
	}
	c.mu.Lock()
	attach := link.Attach{SID: c.sid, Key: c.key, Ack: c.in.Recv()}
	c.mu.Unlock()

	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A stream raced by the next transport (its first event held back, or
	// only slow) runs on to the end of its window when another transport
	// wins: its first event coming then proves the stream works on this
	// path, and the session moves there (streamProved). It ends with dctx
	// unless the win released it (keepStreams), and with the client.
	sctx, scancel := context.WithCancel(c.ctx)
	keepStreams := context.AfterFunc(dctx, scancel)
	results := make(chan dialResult, len(order))
	sent := make(chan sentNote, len(order))
	start := time.Now()
	var tries []*attempt
	launch := func(tr string) {
		a := &attempt{transport: tr, start: time.Now()}
		tries = append(tries, a)
		at := attach
		if at.SID == "" {
			at.Attempt = newAttemptID()
		}
		if c.raced(tr) {
			var once sync.Once
			at.Sent = func(rtt time.Duration) {
				once.Do(func() { sent <- sentNote{a: a, rtt: rtt, at: time.Now()} })
			}
		}
		go func() {
			// Each attempt has its own bound, whatever the caller's ctx.
			parent := dctx
			if c.o.RaceDelay > 0 && c.stream(tr) {
				parent = sctx
			}
			actx, acancel := context.WithTimeoutCause(parent, c.o.ConnectTimeout, errAttemptTimeout)
			defer acancel()
			l, err := c.links.DialLink(actx, tr, header, at)
			// A connection deadline taken from actx may expire a moment
			// before actx itself: past the attempt's bound is its timeout too.
			own := !time.Now().Before(a.start.Add(c.o.ConnectTimeout))
			if err != nil && ctx.Err() == nil && (context.Cause(actx) == errAttemptTimeout || own) {
				err = &transportError{Transport: tr, Err: xfmt.Errorf("%w: %v", errAttemptTimeout, c.o.ConnectTimeout),
					Hint: "is the server up and is this its URL? something accepted the connection and never answered"}
			}
			if err != nil {
				c.cancelAttempt(at.Attempt, err)
			}
			results <- dialResult{transport: tr, attempt: at.Attempt, l: l, err: err, elapsed: time.Since(a.start)}
		}()
	}
	launch(order[0])
	started, pending := 1, 1
	slow := time.NewTimer(c.waitFor(order[0]))
	defer slow.Stop()
	var attempts []Attempt
	// Losers that complete after the winner (won; nil when there is none)
	// are closed in the background; one whose welcome started
	// another session ends that session first, so that the server does not
	// keep an orphan until its ttl.
	drain := func(n int, won link.Link) {
		keep := ""
		if won != nil {
			keep = sessionOf(won)
		}
		go func() {
			defer scancel()
			for i := 0; i < n; i++ {
				if r := <-results; r.l != nil {
					closeOrphan(r.l, keep)
					r.l.Close()
					if won != nil && c.stream(r.transport) && !c.stream(won.Transport()) {
						c.streamProved(r.transport, won)
					}
				}
			}
		}()
	}
	finished := func(tr string) {
		for _, a := range tries {
			if a.transport == tr {
				a.done = true
			}
		}
	}
	// canceled lists every attempt, those still running failed by ctx.
	canceled := func() error {
		for _, a := range tries {
			if !a.done {
				attempts = append(attempts, Attempt{Transport: a.transport, Elapsed: time.Since(a.start), Err: ctx.Err()})
			}
		}
		return &ConnectError{Attempts: attempts}
	}
	for {
		select {
		case r := <-results:
			pending--
			finished(r.transport)
			if r.err == nil {
				keepStreams()
				cancel()
				drain(pending, r.l)
				var still []Attempt
				var paced []string
				for _, a := range tries {
					if !a.done {
						still = append(still, Attempt{Transport: a.transport, Elapsed: time.Since(a.start)})
						paced = append(paced, pacedWords(a))
					}
				}
				c.noteRaceLost(r.transport, still)
				return newConn(r.l), reasonFor(r.transport, attempts, still, paced, time.Since(start)), nil
			}
			if ctx.Err() != nil {
				// Ended by ctx as the ones still running: listed alike.
				attempts = append(attempts, Attempt{Transport: r.transport, Elapsed: r.elapsed, Err: ctx.Err()})
				cancel()
				drain(pending, nil)
				return nil, "", canceled()
			}
			attempts = append(attempts, Attempt{Transport: r.transport, Elapsed: r.elapsed, Err: r.err})
			c.o.Logger.Info("transport failed", "transport", r.transport, "error", r.err)
			if disabled(r.err) {
				c.disable(r.transport)
			}
			// An answer that asks to wait (429, 503 with Retry-After or
			// retry) is the server's, whatever the transport: wait it out
			// (section 13) rather than ask again over another transport.
			if permanent(r.err) || sessionGone(r.err) || tooMany(r.err) || proxyAuth(r.err) || retryAfterOf(r.err) > 0 {
				cancel()
				drain(pending, nil)
				return nil, "", r.err
			}
			if started < len(order) {
				launch(order[started])
				started++
				pending++
				slow.Reset(c.waitFor(order[started-1]))
			} else if pending == 0 {
				return nil, "", &ConnectError{Attempts: attempts}
			}
		case n := <-sent:
			// The last attempt started has its request on the wire: its
			// answer is due within a few of the path's round trips, and
			// the next transport starts then unless it came (RFC 8305's
			// delay from a measured RTT), never later than RaceDelay.
			rtt := c.noteRTT(n.rtt)
			if started == len(order) || n.a != tries[len(tries)-1] || n.a.done || rtt <= 0 {
				break
			}
			pace := racePace(rtt, c.o.RaceDelay)
			if due := n.at.Add(pace); due.Before(n.a.start.Add(c.o.RaceDelay)) {
				n.a.paced, n.a.rtt = pace, rtt
				slow.Reset(time.Until(due))
			}
		case <-slow.C:
			if started < len(order) {
				c.o.Logger.Info("transport slow, starting the next in parallel", "slow", order[started-1], "next", order[started])
				launch(order[started])
				started++
				pending++
				slow.Reset(c.waitFor(order[started-1]))
			}
		case <-ctx.Done():
			cancel()
			drain(pending, nil)
			return nil, "", canceled()
		}
	}
}

// sessionOf is the session id of l's welcome.
func sessionOf(l link.Link) string {
	if w := l.Welcome(); w != nil {
		return w.SID
	}
	return ""
}

// closeOrphan ends the session a losing link's welcome started, unless it
// is keep (the winner's), with a close frame, bounded by orphanCloseWait.
// A resumed session is the client's own and is never closed here.
func closeOrphan(l link.Link, keep string) {
	w := l.Welcome()
	if w == nil || w.Resumed || w.SID == "" || w.SID == keep {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), orphanCloseWait)
	defer cancel()
	_ = l.Send(ctx, []wire.Frame{{Kind: wire.KindClose, Close: &wire.Close{Code: wire.CloseNormal, Reason: "another transport won the connect"}}})
}

// orphanCloseWait bounds the close frame of a losing link.
const orphanCloseWait = 2 * time.Second

// waitFor is how long an attempt of tr may go unanswered before the next
// transport starts beside it: RaceDelay for WebSocket (an upgrade a proxy
// black-holes must not hold the first message) and for a stream whose first
// event may be held back (it keeps its window: when the next one wins and
// its first event comes, the session moves to it, streamProved),
// slowFor otherwise.
func (c *Client) waitFor(tr string) time.Duration {
	if c.raced(tr) {
		return c.o.RaceDelay
	}
	return c.slowFor(tr)
}

// raced reports a transport whose silence starts the next one after
// RaceDelay or sooner (racePace), not after SlowTimeout.
func (c *Client) raced(tr string) bool {
	return c.o.RaceDelay > 0 && (tr == wire.TransportWebSocket || c.stream(tr))
}

// raceRTTs and raceFloor pace a race by the path: the next transport
// starts when an attempt's answer is raceRTTs round trips overdue after
// its request went out, but not before raceFloor (a server's own work:
// a session created, a welcome written; a few ms on a healthy server) nor
// after RaceDelay. The floor counts on fast paths only (a round trip under
// 5 ms): a race started too soon costs one request, cancelled (PROTOCOL.md
// 4.8), and a WebSocket still unanswered is probed again at once; a
// later one cost the first echo behind a black hole more than Socket.IO's
// polling start (issue 15: 30 ms gave 45.6 against 44.7 ms).
const (
	raceRTTs  = 4
	raceFloor = 20 * time.Millisecond
)

// racePace is how long after its request is sent an attempt may go
// unanswered before the next transport starts beside it.
func racePace(rtt, raceDelay time.Duration) time.Duration {
	return min(raceDelay, max(raceRTTs*rtt, raceFloor))
}

// noteRTT remembers a measured round trip of the path (rtt > 0) for the
// client's life and returns it, or the last one remembered when rtt is 0,
// or, when no connect ever measured one, the session's smoothed round trip
// of acks and pongs: a reconnect is paced by the path the session used. In
// the browser rtt is only an estimate (connectRTTMeasured): never
// remembered, and used only while the session has measured none.
func (c *Client) noteRTT(rtt time.Duration) time.Duration {
	return c.noteRTTAs(rtt, connectRTTMeasured)
}

// noteRTTAs is noteRTT for a platform whose attempts measure their round
// trip (measured) or estimate it.
func (c *Client) noteRTTAs(rtt time.Duration, measured bool) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !measured {
		if c.srtt > 0 {
			return c.srtt
		}
		return rtt
	}
	if rtt > 0 {
		c.rtt = rtt
	}
	if c.rtt > 0 {
		return c.rtt
	}
	return c.srtt
}

// stream reports a transport with a first-event window (SSE, PROTOCOL.md
// 8.1), which a buffering proxy holds back.
func (c *Client) stream(tr string) bool {
	return link.Patience(tr, &link.Env{FirstEventWait: c.o.FirstEventWait}) > 0
}

// noteRaceLost asks for a WebSocket probe at once when a fallback won while
// the WebSocket attempt was still unanswered (raced, not refused): a slow
// but working WebSocket then carries the session within about a round trip
// of its answer, through the probe-and-upgrade of PROTOCOL.md section 10.
func (c *Client) noteRaceLost(won string, still []Attempt) {
	if won == wire.TransportWebSocket {
		c.mu.Lock()
		c.probeSoon = false
		c.mu.Unlock()
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range still {
		if a.Transport == wire.TransportWebSocket {
			c.probeSoon = true
		}
	}
}

// slowFor is how long an attempt of tr may stay silent before the next
// transport starts in parallel: SlowTimeout plus the link's own patience
// (SSE: its first-event window, PROTOCOL.md 8.1, which it bounds itself).
func (c *Client) slowFor(tr string) time.Duration {
	return c.o.SlowTimeout + link.Patience(tr, &link.Env{FirstEventWait: c.o.FirstEventWait})
}

// reasonFor explains why a transport was chosen, and what happened to every
// other transport tried: failed (with its cause) or still unanswered when
// tr won (the negotiation stops it; a WebSocket is probed again at once).
// paced, when not nil, holds for each of still what paced the start of the
// next transport (pacedWords; "": RaceDelay from its start).
func reasonFor(tr string, failed, still []Attempt, paced []string, elapsed time.Duration) string {
	if len(failed) == 0 && len(still) == 0 {
		return xfmt.Sprintf("%s answered in %v", tr, elapsed.Round(time.Millisecond))
	}
	s := ""
	for _, a := range failed {
		s += xfmt.Sprintf("%s failed (%s); ", a.Transport, shortCause(a.Err))
	}
	for i, a := range still {
		s += xfmt.Sprintf("%s: %s; ", a.Transport, pendingWords(a))
		if i < len(paced) && paced[i] != "" {
			s = s[:len(s)-2] + " (" + paced[i] + "); "
		}
	}
	return s + xfmt.Sprintf("%s works (answered in %v)", tr, elapsed.Round(time.Millisecond))
}

// pacedWords says when the next transport started beside a, when its
// round trip paced it (racePace); "" when RaceDelay did.
func pacedWords(a *attempt) string {
	if a.paced <= 0 {
		return ""
	}
	return xfmt.Sprintf("the next transport started %v after its request: %d round trips of %v, at least %v",
		a.paced, raceRTTs, a.rtt.Round(10*time.Microsecond), raceFloor)
}

// pendingWords says what a transport still unanswered at the win is doing.
func pendingWords(a Attempt) string {
	d := a.Elapsed.Round(time.Millisecond)
	switch {
	case a.Transport == wire.TransportWebSocket:
		return xfmt.Sprintf("no answer after %v, still trying", d)
	case link.Patience(a.Transport, &link.Env{FirstEventWait: time.Second}) > 0:
		// A stream with a first-event window (SSE, PROTOCOL.md 8.1).
		return xfmt.Sprintf("first event held back after %v (a buffering proxy?), still waiting: the session moves there if it comes", d)
	}
	return xfmt.Sprintf("no answer after %v", d)
}

// shortCause is a short description of a transport failure.
func shortCause(err error) string {
	var he *transport.HandshakeError
	switch {
	case errors.As(err, &he) && he.StatusCode == 400 && he.Transport == wire.TransportWebSocket:
		if transport.UpgradeDropped(he) {
			return xfmt.Sprintf("%s %s: the server saw no upgrade, a proxy dropped the Upgrade header", transport.Classify(err), he.Status)
		}
		return xfmt.Sprintf("%s %s: not the server's answer, a proxy refused the upgrade", transport.Classify(err), he.Status)
	case errors.As(err, &he) && he.StatusCode != 0:
		return xfmt.Sprintf("%s %s", transport.Classify(err), he.Status)
	case errors.As(err, &he):
		return shorten(xfmt.Sprintf("%s: %v", transport.Classify(err), he.Err), 120)
	}
	return shorten(err.Error(), 120)
}

// permanent reports failures that retrying or another transport cannot fix:
// the classes TLS, config and protocol, and refused credentials.
func permanent(err error) bool {
	cl := transport.Classify(err)
	return cl.Permanent() || cl == transport.ClassUnauthorized
}
