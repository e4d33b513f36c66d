// Package link defines the seam between Tether's client session logic and
// the transports that carry a session: a Link is one attached transport
// connection (a WebSocket, an SSE stream plus its send POSTs, or a long-poll
// cycle) that moves protocol frames in order. The client core owns sequence
// numbers, replay and reconnection; a Link carries frames, carries acks by
// its own policy (Acked), and reports when it is dead.
//
// One home per link kind, each with its native and its browser (js && wasm)
// implementation side by side: WebSocket in package transport (wslink.go,
// wslink_js.go), SSE and long-polling in package fallback (sse.go,
// sse_js.go, poll.go, poll_js.go). They Register their DialFunc in init;
// the client dials through Dial with an Env and never names a transport's
// implementation.
package link

import (
	"context"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// Attach says which session a new link joins.
type Attach struct {
	SID   string // session to resume; empty: start a new session
	Key   string // the session's resume secret; empty with SID empty
	Ack   uint64 // the client's recv when attaching (later ones reach the link through Acked)
	Probe bool   // WebSocket only: probe for an upgrade (see PROTOCOL.md section 10)
	// Attempt is the client's id of a new-session attach (SID empty), sent
	// as tether_attempt, by which it cancels the attempt when it gives it
	// up before its welcome (PROTOCOL.md 4.8). Empty: none.
	Attempt string
	// Sent, when not nil, is called at most once, when the attach's
	// request is on the wire (the WebSocket upgrade request written; the
	// SSE stream request written): the wait for its answer starts then.
	// rtt is the round trip measured by the handshakes of the request's
	// connection (TCP connect, proxy CONNECT, TLS), 0 when the link did
	// not measure it (a reused connection, the browser). It must not
	// block. The client paces its race of the next transport by it.
	Sent func(rtt time.Duration)
}

// Link is one transport connection of a session.
//
// Concurrency: Recv is called by one goroutine, Send by one (other)
// goroutine; Close may be called at any time from any goroutine and makes
// pending and later calls return.
type Link interface {
	// Transport is the transport's name: wire.TransportWebSocket,
	// wire.TransportSSE or wire.TransportPoll.
	Transport() string

	// Welcome is the server's welcome that opened this link.
	Welcome() *wire.Welcome

	// Send sends frames (data, acks, pings, pongs, close, upgrade) in order.
	// An HTTP link sends them as one or more POSTs, in order, and returns
	// once the server answered; the frames of those answers (the server's
	// ack) come out of Recv. An error caused by ctx ending leaves the link
	// usable; any other error means the link is dead.
	Send(ctx context.Context, frames []wire.Frame) error

	// Recv returns the next frame from the server, in order. Data returned
	// is owned by the caller. An error frame from the server comes back as a
	// *ServerError. After a close or superseded frame, Recv ends with an
	// error once the frames before it are taken, while Send stays usable
	// (to answer a close) until Close. An error caused by ctx ending leaves
	// the link usable; any other error means the link is dead (including a
	// liveness timeout: no frame or heartbeat within the welcome's timeout).
	Recv(ctx context.Context) (wire.Frame, error)

	// Acked tells the link the client's recv (the highest data seq taken
	// into the inbox); the link carries it to the server by its own policy:
	// a WebSocket sends an ack frame soon, SSE a paced POST, long-polling
	// puts it in its next poll. It never blocks. Frames the client passes
	// to Send may hold an ack too (answering a close).
	Acked(recv uint64)

	// Close ends the link at once; later calls return errors matching
	// net.ErrClosed (link.ErrClosed in the browser). It does not end the session.
	Close() error
}
