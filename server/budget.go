package server

import (
	"container/list"
	"sync"
)

// budget is the memory budget shared by every session of a Handler
// (Options.MaxTotalBufferedBytes): the bytes of buffered messages in both
// directions and of send bodies being read.
//
// It is fair, and a release wakes only the waiters it serves: a take that
// does not fit (or finds others waiting) queues a ticket; release grants
// the queued tickets in arrival order while the first one fits, reserving
// their bytes before it wakes them. A ticket that does not fit holds back
// those behind it (no starvation of large takes), and a newcomer never
// passes a queued ticket. So a release costs O(tickets granted), however
// many wait: the application's Sends blocked on sessions whose clients
// never read cannot make every ack wake them all.
//
// A single take larger than max is granted when nothing else is reserved
// (alone, it overdraws the budget by itself only): never refusing it keeps
// the queue behind it moving. Session.Send and deliver cannot ask for that
// much (MaxTotalBufferedBytes >= 8 x MaxMessageBytes); a shared store's
// message written by a node with a larger MaxMessageBytes can.
type budget struct {
	max int64

	mu    sync.Mutex
	used  int64     // reserved, granted tickets included
	queue list.List // of *ticket, in arrival order

	tries int64 // calls of take and claim (tests)
}

// A ticket is a take that waits. Its holder waits on ready, closed once
// the budget reserved the ticket's bytes for it, and ends the ticket either
// with claim (the bytes are then its own, to release later) or with cancel
// (queued: it leaves the queue; granted: its bytes go back). Every ticket
// ends one way or the other, on every path; cancel after claim, or twice,
// does nothing.
type ticket struct {
	n     int64
	ready chan struct{}
	elem  *list.Element // guarded by budget.mu: in the queue; nil once granted or canceled
	state ticketState   // guarded by budget.mu
}

type ticketState uint8

const (
	ticketQueued ticketState = iota
	ticketGranted
	ticketDone // claimed or canceled
)

func newBudget(max int64) *budget { return &budget{max: max} }

// fitsLocked reports whether n more bytes fit, or n is more than the whole
// budget and nothing is reserved.
func (b *budget) fitsLocked(n int64) bool {
	return b.used+n <= b.max || b.used == 0
}

// take reserves n bytes when nobody waits and they fit (ok). Otherwise it
// queues a ticket for n bytes: wait on t.ready, then claim or cancel it.
func (b *budget) take(n int64) (ok bool, t *ticket) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tries++
	if b.queue.Len() == 0 && b.fitsLocked(n) {
		b.used += n
		return true, nil
	}
	t = &ticket{n: n, ready: make(chan struct{})}
	t.elem = b.queue.PushBack(t)
	return false, t
}

// tryTake reserves n bytes if they fit now and nobody waits (a waiter
// comes first); it never queues. For callers that do without when the
// budget is spent.
func (b *budget) tryTake(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.queue.Len() > 0 || b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

// takeNow reserves n bytes if they fit now, ahead of queued waiters; it
// never queues. Only for a send request's body (readSend): held while the
// request is applied, and the acks it carries (the only way an SSE client
// acks) are what frees bytes for the waiters; refused because others wait,
// they could never come in.
func (b *budget) takeNow(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

// claim reports whether t was granted, and if so makes its bytes the
// caller's (to release like taken ones): t is done. Else t stays queued.
func (b *budget) claim(t *ticket) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tries++
	if t.state != ticketGranted {
		return false
	}
	t.state = ticketDone
	return true
}

// cancel ends a ticket its holder gives up: a queued one leaves the queue
// (those behind it may fit now), a granted one gives its bytes back. A
// claimed or canceled one, or nil, is left alone.
func (b *budget) cancel(t *ticket) {
	if t == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch t.state {
	case ticketQueued:
		head := b.queue.Front() == t.elem
		b.queue.Remove(t.elem)
		t.elem = nil
		if head {
			b.grantLocked()
		}
	case ticketGranted:
		b.used -= t.n
		b.grantLocked()
	}
	t.state = ticketDone
}

// release returns n reserved bytes, and grants what they let through.
func (b *budget) release(n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.grantLocked()
	b.mu.Unlock()
}

// grantLocked grants the queued tickets from the first while it fits.
func (b *budget) grantLocked() {
	for e := b.queue.Front(); e != nil; e = b.queue.Front() {
		t := e.Value.(*ticket)
		if !b.fitsLocked(t.n) {
			return
		}
		b.used += t.n
		b.queue.Remove(e)
		t.elem, t.state = nil, ticketGranted
		close(t.ready)
	}
}

// calls is the number of calls of take and claim so far (tests).
func (b *budget) calls() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tries
}

// inUse is the number of bytes reserved now, granted tickets included.
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// waiting is the number of tickets queued now (tests).
func (b *budget) waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.queue.Len()
}
