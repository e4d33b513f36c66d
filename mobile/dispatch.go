package mobile

import (
	"context"
	"runtime"
	"runtime/debug"
	"sync"
)

// maxPending bounds the messages waiting for the Handler: past it, the
// client stops taking messages from its inbox, and the server is slowed
// down through the bounded inbox instead of a queue growing here. State
// changes and errors (rare) are never held back.
const maxPending = 256

// item is one callback.
type item struct {
	msg   *Message
	state *StateChange
	err   *ErrorInfo
}

// dispatcher calls the Handler in order from one goroutine, locked to one
// OS thread (so Java and Swift see one thread), never two calls at a time.
// It ends after the StateClosed change and then lets go of the Handler, so
// the app's object can be collected.
type dispatcher struct {
	mu      sync.Mutex
	h       Handler
	q       []item
	msgs    int           // messages in q
	final   bool          // StateClosed queued: nothing more
	wake    chan struct{} // a push happened (capacity 1)
	room    chan struct{} // closed and replaced when a message was delivered
	started bool
	done    chan struct{} // closed after the last callback
}

func newDispatcher(h Handler) *dispatcher {
	return &dispatcher{h: h, wake: make(chan struct{}, 1), room: make(chan struct{}), done: make(chan struct{})}
}

// start starts the goroutine once.
func (d *dispatcher) start() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.started {
		d.started = true
		go d.run()
	}
}

// push queues a callback; after the StateClosed change nothing more is
// queued.
func (d *dispatcher) push(it item) {
	d.mu.Lock()
	if d.final {
		d.mu.Unlock()
		return
	}
	d.q = append(d.q, it)
	if it.msg != nil {
		d.msgs++
	}
	if it.state != nil && it.state.state == StateClosed {
		d.final = true
	}
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// waitRoom waits until fewer than maxPending messages wait for the Handler,
// or ctx ends, or the dispatcher ends (false).
func (d *dispatcher) waitRoom(ctx context.Context) bool {
	for {
		d.mu.Lock()
		n, w := d.msgs, d.room
		d.mu.Unlock()
		if n < maxPending {
			return true
		}
		select {
		case <-w:
		case <-ctx.Done():
			return false
		case <-d.done:
			return false
		}
	}
}

// release ends a dispatcher that never started (a client closed before it
// connected).
func (d *dispatcher) release() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.started {
		d.started, d.final, d.h, d.q = true, true, nil, nil
		close(d.done)
	}
}

func (d *dispatcher) run() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(d.done)
	for {
		d.mu.Lock()
		if len(d.q) == 0 {
			d.mu.Unlock()
			<-d.wake
			continue
		}
		it := d.q[0]
		d.q[0] = item{}
		d.q = d.q[1:]
		h := d.h
		d.mu.Unlock()
		d.call(h, it)
		d.mu.Lock()
		if it.msg != nil {
			d.msgs--
			close(d.room)
			d.room = make(chan struct{})
		}
		last := it.state != nil && it.state.state == StateClosed
		if last {
			d.h, d.q = nil, nil // let go of the app's objects
		}
		d.mu.Unlock()
		if last {
			return
		}
	}
}

// call runs one callback; a panic in it (Go code) is recovered and reported
// to OnError, whose own panic is dropped.
func (d *dispatcher) call(h Handler, it item) {
	defer func() {
		if r := recover(); r != nil {
			pe := &panicError{where: "a Handler callback", value: r, stack: debug.Stack()}
			func() {
				defer func() { _ = recover() }()
				h.OnError(info(pe))
			}()
		}
	}()
	switch {
	case it.msg != nil:
		h.OnMessage(it.msg)
	case it.state != nil:
		h.OnStateChange(it.state)
	case it.err != nil:
		h.OnError(it.err)
	}
}
