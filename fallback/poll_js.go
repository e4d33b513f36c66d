//go:build js && wasm

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

// pollRetryDelays are the pauses before the retries of a failed poll (a
// proxy cut the answer; the server sends it again). Then the link is dead.
var pollRetryDelays = []time.Duration{0, 100 * time.Millisecond, 400 * time.Millisecond}

const maxRetryWait = 30 * time.Second

// pollLink is a long-poll cycle over fetch plus send POSTs.
type pollLink struct {
	base
	hold    time.Duration
	silent  error
	results chan pollResult

	// Owned by the goroutine that calls Recv.
	acked   atomic.Uint64 // the client's recv, for the next poll's tether_ack
	polling bool
	pending []wire.Frame
	err     error
}

type pollResult struct {
	frames []wire.Frame
	err    error
}

// dialPoll attaches for long-polling: GET ?tether=poll-open.
func dialPoll(ctx context.Context, t *transport.Target, header transport.Header, max int, a link.Attach) (link.Link, error) {
	if a.Probe {
		return nil, xfmt.Errorf("fallback: longpoll: probes are WebSocket only")
	}
	r := newRequester(wire.TransportPoll, t, header, max, a)
	dctx, cancel := context.WithTimeout(ctx, defaultTimeout)
	defer cancel()
	resp, frames, err := r.roundTrip(dctx, "GET", wire.ModePollOpen, a.SID != "", a.Ack, nil)
	if err != nil {
		return nil, err
	}
	if len(frames) != 1 {
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
		results: make(chan pollResult, 1),
	}
	l.acked.Store(a.Ack)
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

// Recv returns the next frame, polling when it has none; the poll carries
// the last recv given to Acked.
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
		if f, ok := l.answers.pop(); ok {
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

func (l *pollLink) poll(ack uint64) pollResult {
	for attempt := 0; ; attempt++ {
		frames, err := l.pollOnce(ack)
		if err == nil {
			return pollResult{frames: frames}
		}
		wait, again := l.retry(err, attempt)
		if !again {
			return pollResult{err: err}
		}
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

func (l *pollLink) pollOnce(ack uint64) ([]wire.Frame, error) {
	ctx, cancel := context.WithTimeoutCause(l.ctx, l.hold, l.silent)
	defer cancel()
	_, frames, err := l.r.roundTrip(ctx, "GET", wire.ModePoll, true, ack, nil)
	if err != nil {
		return nil, err
	}
	for _, f := range frames {
		switch f.Kind {
		case wire.KindText, wire.KindBinary, wire.KindAck, wire.KindClose, wire.KindSuperseded:
		case wire.KindError:
			return nil, &link.ServerError{Transport: l.r.name, Answer: *f.Error}
		default:
			return nil, malformedf(l.r.name, "a %s frame in a poll answer", f.Kind)
		}
	}
	return frames, nil
}

// retry: as the native link, a cut or a 5xx is retried a few times; a 4xx
// (but 429), an error frame, silence or an oversized payload is not.
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
