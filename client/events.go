package client

import (
	"context"
	"sync"
	"time"
)

// Event is a change of the client's connection. The concrete types are
// ConnectingEvent, ConnectedEvent, TransportChangedEvent, ReconnectingEvent,
// DisconnectedEvent, SessionLostEvent and ClosedEvent.
type Event interface{ event() }

// ConnectingEvent: a connect started (the first, or after Reconnecting).
type ConnectingEvent struct {
	Attempt int // 1 for the first try of a connect
}

// ConnectedEvent: a transport carries the session.
type ConnectedEvent struct {
	Transport string        // "websocket", "sse" or "longpoll"
	Reason    string        // why this transport (e.g. `websocket refused: 400 Bad Request`)
	Resumed   bool          // an existing session was resumed
	Elapsed   time.Duration // time the connect took
}

// TransportChangedEvent: the session moved to another transport without a
// disconnect (e.g. back to WebSocket after a probe round-tripped).
type TransportChangedEvent struct {
	From, To string
	Reason   string
}

// ReconnectingEvent: the connection was lost; the next try starts after
// Delay.
type ReconnectingEvent struct {
	Attempt int
	Delay   time.Duration
	Cause   error
}

// DisconnectedEvent: the transport carrying the session failed, or the
// server went away (Cause is a *CloseError whose Code.Reconnect() is true:
// a shutdown or restart); the client reconnects.
type DisconnectedEvent struct {
	Transport string
	Cause     error
}

// SessionLostEvent: the server no longer knew the session when the client
// came back (it expired, or the server restarted and lost its state).
// Unacknowledged lists the messages sent but not acknowledged by the server:
// they may or may not have arrived, and they are not sent again. Messages
// the server sent that the client had not received are lost too. A new
// session starts; Receive returns the same *SessionLostError once.
type SessionLostEvent struct {
	Unacknowledged []Message
	Cause          error // a *SessionLostError: errors.Is(Cause, ErrSessionLost)
}

// ClosedEvent: the client is closed for good; Err is nil after Close.
// Unacknowledged lists the messages sent but never acknowledged by the
// server when the session ended (PROTOCOL.md section 12: they may not have
// been delivered); empty when everything was acknowledged.
type ClosedEvent struct {
	Err            error
	Unacknowledged []Message
}

// PathSilentEvent: the link carrying the session owes an answer (an ack of
// messages in flight, a pong) beyond the bound of Options.AckTimeout; the
// path may be dead (a frozen NAT, a Wi-Fi to cellular switch). Silent is
// how long nothing came back since the oldest unanswered send. With Probing
// the client is attaching a fresh connection of the same transport; a
// ConnectedEvent (Resumed, Reason says why) follows when the session moved.
type PathSilentEvent struct {
	Transport string
	Silent    time.Duration
	Probing   bool
}

func (PathSilentEvent) event()       {}
func (ConnectingEvent) event()       {}
func (ConnectedEvent) event()        {}
func (TransportChangedEvent) event() {}
func (ReconnectingEvent) event()     {}
func (DisconnectedEvent) event()     {}
func (SessionLostEvent) event()      {}
func (ClosedEvent) event()           {}

// dispatcher delivers events in order, one at a time, never under the
// client's lock, from a goroutine that runs only while events wait (an idle
// client holds none). The queue grows as needed; handlers must not block for long.
// It ends after delivering the ClosedEvent.
type dispatcher struct {
	fn       func(Event)
	mu       sync.Mutex
	queue    []Event
	emitted  uint64
	handled  uint64
	progress chan struct{} // closed and replaced when handled grows
	running  bool          // a run goroutine delivers the queue (one at a time)
	done     chan struct{}
}

func newDispatcher(fn func(Event)) *dispatcher {
	d := &dispatcher{fn: fn, done: make(chan struct{}), progress: make(chan struct{})}
	if fn == nil {
		close(d.done)
	}
	return d
}

func (d *dispatcher) emit(e Event) {
	if d.fn == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.queue = append(d.queue, e)
	d.emitted++
	select {
	case <-d.done:
		return // the ClosedEvent was delivered: nothing after it
	default:
	}
	if !d.running {
		// The goroutine delivering events runs only while there are
		// some: an idle client holds none.
		d.running = true
		go d.run()
	}
}

// wait returns once every event emitted before the call was delivered (or
// the dispatcher ended after the ClosedEvent), or with ctx's error.
func (d *dispatcher) wait(ctx context.Context) error {
	d.mu.Lock()
	target := d.emitted
	d.mu.Unlock()
	for {
		d.mu.Lock()
		if d.handled >= target {
			d.mu.Unlock()
			return nil
		}
		p := d.progress
		d.mu.Unlock()
		select {
		case <-p:
		case <-d.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (d *dispatcher) run() {
	for {
		d.mu.Lock()
		q := d.queue
		d.queue = nil
		if len(q) == 0 {
			d.running = false
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
		for _, e := range q {
			d.fn(e)
			d.mu.Lock()
			d.handled++
			close(d.progress)
			d.progress = make(chan struct{})
			_, last := e.(ClosedEvent)
			if last {
				close(d.done) // running stays set: no run after this one
			}
			d.mu.Unlock()
			if last {
				return
			}
		}
	}
}
