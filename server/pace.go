package server

import (
	"context"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// maxPaceWait bounds how long one request is paced before it is refused.
const maxPaceWait = 2 * time.Second

// pace bounds the rate of a session's polls or sends (Options.PollRate):
// a request over the rate waits for its turn, so a fast client gets fewer,
// fuller answers instead of errors; one waiting request per kind at most,
// any other is refused (false, with the wait to advise). Polls and sends
// whose ack frees much of the send buffer are not paced (frees).
func (s *Session) pace(ctx context.Context, b *bucket, waiting *bool) (ok bool, retry time.Duration) {
	rate := s.h.opts.PollRate
	if rate < 0 {
		return true, 0
	}
	s.mu.Lock()
	ok, wait := b.take(s.h.now(), rate, max(1, 2*rate))
	if ok {
		s.mu.Unlock()
		return true, 0
	}
	if *waiting || wait > maxPaceWait {
		s.mu.Unlock()
		return false, max(wait, time.Second)
	}
	*waiting = true
	b.tokens-- // the turn is this request's: the bucket goes into debt
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		*waiting = false
		s.mu.Unlock()
	}()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true, 0
	case <-ctx.Done():
		return false, 0
	case <-s.ctx.Done():
		return true, 0 // the session ended: let the request say so
	}
}

// frees reports whether an ack of n frees at least minFreeing of the
// session's send buffer. A poll or send that does is not paced (it is not a
// client polling in a loop: such requests come at most as fast as the
// application's data flows, each moving at least minFreeing of it), so
// pacing never caps the rate of a long-poll or an SSE stream, whose acks
// come in polls and sends, nor of an echo with data in flight both ways.
func (s *Session) frees(n uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.BytesThrough(n, minFreeing) >= minFreeing
}

// carries reports whether a send's data frames carry at least minFreeing
// of payload: such a send is not paced either.
func carries(frames []wire.Frame) bool {
	n := 0
	for i := range frames {
		if frames[i].Kind == wire.KindText || frames[i].Kind == wire.KindBinary {
			if n += len(frames[i].Data); n >= minFreeing {
				return true
			}
		}
	}
	return false
}

// minFreeing is the least a request must move (freed by its ack, or carried
// as data) to skip pacing: 16 KiB, a full TLS record. A request flood costs
// the server per request; one moving 16 KiB or more costs it per byte, as
// the data itself would over WebSocket.
const minFreeing = 16 << 10
