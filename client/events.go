package client

import (
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

// DisconnectedEvent: the transport carrying the session failed.
type DisconnectedEvent struct {
	Transport string
	Cause     error
}

// SessionLostEvent: the server no longer knew the session when the client
// came back (it expired, or the server lost its state). Unacknowledged lists
// the messages sent but not acknowledged by the server: they may or may not
// have arrived, and they are not sent again. Messages the server sent that
// the client had not received are lost too. A new session starts.
type SessionLostEvent struct {
	Unacknowledged []Message
	Cause          error
}

// ClosedEvent: the client is closed for good; Err is nil after Close.
type ClosedEvent struct {
	Err error
}

func (ConnectingEvent) event()       {}
func (ConnectedEvent) event()        {}
func (TransportChangedEvent) event() {}
func (ReconnectingEvent) event()     {}
func (DisconnectedEvent) event()     {}
func (SessionLostEvent) event()      {}
func (ClosedEvent) event()           {}

// dispatcher delivers events in order from one goroutine, never under the
// client's lock. The queue grows as needed; handlers must not block for long.
type dispatcher struct {
	fn    func(Event)
	mu    sync.Mutex
	queue []Event
	wake  chan struct{}
	done  chan struct{}
}

func newDispatcher(fn func(Event)) *dispatcher {
	d := &dispatcher{fn: fn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if fn == nil {
		close(d.done)
		return d
	}
	go d.run()
	return d
}

func (d *dispatcher) emit(e Event) {
	if d.fn == nil {
		return
	}
	d.mu.Lock()
	d.queue = append(d.queue, e)
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *dispatcher) run() {
	defer close(d.done)
	for {
		d.mu.Lock()
		q := d.queue
		d.queue = nil
		d.mu.Unlock()
		for _, e := range q {
			d.fn(e)
			if _, last := e.(ClosedEvent); last {
				return
			}
		}
		<-d.wake
	}
}
