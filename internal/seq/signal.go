package seq

// Signal is the wake-up of a mailbox's wait loops (an inbox or outbox and
// the goroutines waiting for room or for messages): a waiter takes Wait's
// channel under the owner's lock, unlocks and selects on it with its
// context; a state change calls Broadcast under the same lock. The channel
// is closed and replaced only when someone took it since the last
// Broadcast, so a state change nobody waits for costs nothing (the
// close-and-remake of a channel per change cost an allocation each).
//
// Like Outbox and Receiver, Signal is not safe for concurrent use: the
// owner's lock guards it. The zero value is ready.
type Signal struct {
	ch     chan struct{}
	waited bool
}

// Wait returns a channel closed by the next Broadcast.
func (s *Signal) Wait() <-chan struct{} {
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	s.waited = true
	return s.ch
}

// Broadcast wakes every goroutine holding a channel from Wait.
func (s *Signal) Broadcast() {
	if !s.waited {
		return
	}
	close(s.ch)
	s.ch, s.waited = nil, false
}
