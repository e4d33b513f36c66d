package seq

// Signal is the wake-up of a mailbox's wait loops (an inbox or outbox and
// the goroutines waiting for room or for messages), with no channel made
// per state change: a waiter takes a channel from Wait under the owner's
// lock, unlocks and selects on it with its context; a state change calls
// Broadcast under the same lock, which puts a token in every waiting
// channel. A woken waiter gives its channel back with Done (under the lock)
// and it serves the next Wait, so a steady wait loop allocates nothing. A
// waiter that gives up (its context ended) may skip Done: its channel is
// dropped at the next Broadcast.
//
// Like Outbox and Receiver, Signal is not safe for concurrent use: the
// owner's lock guards it. The zero value is ready.
type Signal struct {
	waiters []chan struct{}
	free    []chan struct{} // channels given back, empty
}

// signalFree bounds the channels a Signal keeps for reuse.
const signalFree = 4

// Wait returns a channel that receives a token at the next Broadcast. The
// caller only receives from it, then gives it to Done.
func (s *Signal) Wait() chan struct{} {
	var ch chan struct{}
	if n := len(s.free); n > 0 {
		ch, s.free[n-1] = s.free[n-1], nil
		s.free = s.free[:n-1]
	} else {
		ch = make(chan struct{}, 1)
	}
	s.waiters = append(s.waiters, ch)
	return ch
}

// Broadcast wakes every goroutine holding a channel from Wait.
func (s *Signal) Broadcast() {
	for i, ch := range s.waiters {
		select {
		case ch <- struct{}{}:
		default:
		}
		s.waiters[i] = nil
	}
	s.waiters = s.waiters[:0]
}

// Done gives back a channel from Wait once its waiter no longer selects on
// it, woken or not; nil does nothing.
func (s *Signal) Done(w chan struct{}) {
	if w == nil {
		return
	}
	for i, ch := range s.waiters {
		if ch == w { // not woken: no longer waiting
			last := len(s.waiters) - 1
			s.waiters[i], s.waiters[last] = s.waiters[last], nil
			s.waiters = s.waiters[:last]
			break
		}
	}
	for i := range s.free {
		if s.free[i] == w {
			return // given back twice
		}
	}
	select {
	case <-w: // the token of a Broadcast nobody took
	default:
	}
	if len(s.free) < signalFree {
		s.free = append(s.free, w)
	}
}
