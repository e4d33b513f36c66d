package fallback

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/internal/xfmt"
	"github.com/tether-sdk/tether/transport"
)

// pollRetryDelays are the pauses before the retries of a failed poll: the
// first at once (a proxy cut the answer; the server sends it again), then
// two more after short pauses. After that the link is dead.
var pollRetryDelays = []time.Duration{0, 100 * time.Millisecond, 400 * time.Millisecond}

// maxRetryWait bounds a 429's Retry-After for a poll.
const maxRetryWait = 30 * time.Second

// pollLink is a long-poll cycle (server to client) plus send POSTs.
type pollLink struct {
	base
	acked   atomic.Uint64 // the client's recv, for the next poll's tether_ack
	hold    time.Duration // the welcome's poll + timeout: no answer by then = dead
	silent  error         // the error of a poll that got no answer within hold
	holds   *adaptiveHold // the hold each poll asks for (tether_hold); used by the poll goroutine
	results chan pollResult

	// Owned by the goroutine that calls Recv.
	polling bool         // a poll is outstanding; its result comes on results
	pending []wire.Frame // frames of the last answer not handed out yet
	err     error        // the link is dead (or ended): Recv returns it
}

type pollResult struct {
	frames []wire.Frame
	err    error
}

// attachPoll attaches to a session (a new one when a.SID is empty) for
// long-polling: GET ?tether=poll-open, answered at once with the welcome.
// ctx bounds the attach only (and it waits at most 45 s for the answer).
// Errors are those of attachSSE, without the first-event check.
func attachPoll(ctx context.Context, c *config, a link.Attach) (link.Link, error) {
	if a.Probe {
		return nil, xfmt.Errorf("fallback: longpoll: probes are WebSocket only")
	}
	r := newRequester(c, wire.TransportPoll, a)
	dctx, cancel := context.WithTimeout(ctx, defaultTimeout)
	defer cancel()
	resp, body, err := r.roundTrip(dctx, "GET", wire.ModePollOpen, r.url(wire.ModePollOpen, a.SID != "", a.Ack), nil, nil)
	if err != nil {
		r.log.Debug("tether: poll-open failed", "sid", a.SID, "err", err)
		return nil, err
	}
	frames, err := r.parseBatch(wire.ModePollOpen, body)
	switch {
	case err != nil:
		return nil, r.notTether(resp, err)
	case len(frames) != 1:
		return nil, r.notTether(resp, malformedf(r.name, "the poll-open answer has %d frames, not one welcome", len(frames)))
	}
	w, err := r.checkWelcome(resp, frames[0], a)
	if err != nil {
		return nil, err
	}
	r.welcomed(w)

	life, die := context.WithCancelCause(context.Background())
	hold := millis(w.Poll, defaultPoll) + r.timeout
	l := &pollLink{
		base:    newBase(r, w, life, die),
		hold:    hold,
		silent:  errSilent(r.name, "no answer to a poll", hold),
		holds:   newAdaptiveHold(millis(w.Poll, defaultPoll), c.holds),
		results: make(chan pollResult, 1),
	}
	l.acked.Store(a.Ack)
	if l.holds.learned() {
		r.log.Debug("tether: long-poll starts from the hold learned by the client's earlier links", "sid", w.SID, "hold", l.holds.next())
	}
	r.log.Debug("tether: long-poll attached", "sid", w.SID, "resumed", w.Resumed, "ack", w.Ack)
	return l, nil
}

// Acked keeps recv for the next poll's tether_ack: on long-polling the
// ack travels in the polls, never on its own.
func (l *pollLink) Acked(recv uint64) {
	for {
		old := l.acked.Load()
		if recv <= old || l.acked.CompareAndSwap(old, recv) {
			return
		}
	}
}

// Recv returns the next frame: from a poll answer, or from a send answer.
// When it has none left it polls, with the last recv given to Acked as tether_ack, and
// waits; one poll is outstanding at a time. If ctx ends first, Recv returns
// ctx.Err() and the poll stays outstanding for the next call. After a close
// or superseded frame it polls no more and then returns an error; a poll
// that failed repeatedly, got no answer within the welcome's poll + timeout,
// or got a 4xx answer, or a failed Send, kill the link.
func (l *pollLink) Recv(ctx context.Context) (wire.Frame, error) {
	for {
		if l.isClosed() {
			return wire.Frame{}, l.closedE
		}
		if len(l.pending) > 0 {
			f := l.pending[0]
			l.pending[0] = wire.Frame{}
			l.pending = l.pending[1:]
			if (f.Kind == wire.KindClose || f.Kind == wire.KindSuperseded) && l.err == nil {
				l.err = xfmt.Errorf("fallback: longpoll: the server ended the link with a %s frame", f.Kind)
			}
			return f, nil
		}
		if f, ok, _, _ := l.answers.take(); ok {
			return f, nil
		}
		if l.err != nil {
			return wire.Frame{}, l.err
		}
		if !l.polling {
			ack := l.acked.Load()
			if !l.spawn(func() { l.results <- l.poll(ack) }) {
				return wire.Frame{}, l.closedE
			}
			l.polling = true
		}
		select {
		case res := <-l.results:
			l.polling = false
			if res.err != nil {
				l.err = res.err
				l.die(res.err)
			}
			l.pending = res.frames
		case <-l.answers.ready:
		case <-ctx.Done():
			return wire.Frame{}, ctx.Err()
		case <-l.closed:
		}
	}
}

// poll polls until an answer arrives, retrying failures that the server's
// resending makes harmless.
func (l *pollLink) poll(ack uint64) pollResult {
	for attempt := 0; ; attempt++ {
		asked := l.holds.next()
		start := time.Now()
		frames, err := l.pollOnce(ack, asked)
		lived := time.Since(start)
		if err == nil {
			if len(frames) == 0 && lived >= asked/2 {
				l.holds.heldOut() // held to its end (not an older poll answered at once, 9.7)
			}
			return pollResult{frames: frames}
		}
		if l.ctx.Err() == nil && isCut(err) && l.holds.cutAfter(asked, lived) {
			l.r.log.Info("tether: an idle long-poll was cut on the way; asking for shorter holds",
				"sid", l.r.sid, "lived", lived.Round(time.Millisecond), "asked", asked, "hold", l.holds.next())
		}
		wait, again := l.retry(err, attempt)
		if !again {
			l.r.log.Debug("tether: long-poll failed; the link is dead", "sid", l.r.sid, "attempts", attempt+1, "err", err)
			return pollResult{err: err}
		}
		l.r.log.Warn("tether: long-poll failed; polling again", "sid", l.r.sid, "attempt", attempt+1, "wait", wait, "err", err)
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-l.ctx.Done():
				t.Stop()
				return pollResult{err: context.Cause(l.ctx)}
			}
		}
	}
}

// pollOnce makes one poll, asking the server to hold it up to hold, and
// returns its frames. It waits up to the welcome's poll + timeout whatever
// the hold (a server may not know tether_hold).
func (l *pollLink) pollOnce(ack uint64, hold time.Duration) ([]wire.Frame, error) {
	ctx, cancel := context.WithTimeoutCause(l.ctx, l.hold, l.silent)
	defer cancel()
	_, body, err := l.r.roundTrip(ctx, "GET", wire.ModePoll, l.r.urlHold(wire.ModePoll, true, ack, hold), nil, nil)
	if err != nil {
		return nil, err
	}
	frames, err := l.r.parseBatch(wire.ModePoll, body)
	if err != nil {
		return nil, err
	}
	for _, f := range frames {
		switch f.Kind {
		case wire.KindText, wire.KindBinary, wire.KindAck, wire.KindClose, wire.KindSuperseded:
		case wire.KindError: // not in a poll answer by the protocol, but clear enough
			return nil, &link.ServerError{Transport: l.r.name, Answer: *f.Error}
		default:
			return nil, malformedf(l.r.name, "a %s frame in a poll answer", f.Kind)
		}
	}
	return frames, nil
}

// retry says whether a failed poll is tried again, and after how long. A
// link that died or got no answer in time is not; nor is a 4xx answer other
// than 429 (too_many_polls: waited out), an error frame, or a payload over
// max (no cut makes one). Everything else (a cut connection, a truncated or
// garbled answer, a 5xx from the server or a proxy) is, a few times.
func (l *pollLink) retry(err error, attempt int) (time.Duration, bool) {
	if l.ctx.Err() != nil || errors.Is(err, l.silent) || errors.Is(err, wire.ErrTooLarge) || attempt >= len(pollRetryDelays) {
		return 0, false
	}
	wait := pollRetryDelays[attempt]
	var se *link.ServerError
	if errors.As(err, &se) && se.Err == nil {
		return 0, false
	}
	var he *transport.HandshakeError
	if errors.As(err, &he) {
		switch {
		case he.StatusCode == 429:
			wait = max(wait, he.RetryAfter, time.Second)
			if se != nil {
				wait = max(wait, time.Duration(se.Answer.Retry)*time.Millisecond)
			}
			wait = min(wait, maxRetryWait)
		case he.StatusCode >= 400 && he.StatusCode < 500:
			return 0, false
		}
	}
	return wait, true
}
