package server

import (
	"context"
	"time"
)

// maxPaceWait bounds how long one request is paced before it is refused.
const maxPaceWait = 2 * time.Second

// pace bounds the rate of a session's polls or sends (Options.PollRate):
// a request over the rate waits for its turn, so a fast client gets fewer,
// fuller answers instead of errors; one waiting request per kind at most,
// any other is refused (false, with the wait to advise).
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
