package server

import (
	"log/slog"
	"net/http"
	"time"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxMessageBytes  = 1 << 20
	DefaultMaxBufferedBytes = 4 << 20
	DefaultMaxSessions      = 10000
	DefaultMaxPendingPolls  = 10000
	DefaultHeartbeat        = 25 * time.Second
	DefaultPollHold         = 25 * time.Second
	DefaultSessionTTL       = 2 * time.Minute
	// SSE heartbeats are never further apart than this, whatever Heartbeat
	// says: buffering and idle-cutting proxies need traffic.
	maxSSEHeartbeat = 15 * time.Second
	// helloTimeout bounds the wait for a WebSocket's first message.
	helloTimeout = 10 * time.Second
)

// Options configure a Handler. A nil *Options means all defaults; every
// field documents its zero value. The Handler copies the Options.
type Options struct {
	// AllowedOrigins lists the browser origins (e.g. "https://app.example.com")
	// allowed to open sessions, against cross-site WebSocket hijacking and
	// cross-origin polling. "*" allows every origin. Requests without an
	// Origin header (non-browser clients) are always allowed.
	// Nil: same origin only (the Origin's host must equal the request's Host).
	AllowedOrigins []string

	// Authenticate is called on every request that starts or attaches a
	// session (a WebSocket upgrade, an SSE stream, a long-poll open) before
	// anything else; polls and sends are authenticated by the session key.
	// Its result is available as Session.Auth. An error answers 401
	// unauthorized (its text is not sent to the client).
	// Nil: every client is accepted.
	Authenticate func(r *http.Request) (any, error)

	// Transports lists the transports offered: "websocket", "sse",
	// "longpoll". Nil: all three.
	Transports []string

	// MaxMessageBytes is the largest message payload accepted or sent.
	// Zero: DefaultMaxMessageBytes (1 MiB).
	MaxMessageBytes int

	// MaxBufferedBytes bounds each session's buffers, in each direction: sent
	// messages not yet acknowledged (Session.Send blocks when full:
	// backpressure) and received messages not yet taken by Session.Receive
	// (the transport stops reading when full). One message is always
	// accepted into an empty buffer. Zero: DefaultMaxBufferedBytes (4 MiB).
	MaxBufferedBytes int

	// MaxSessions bounds the live sessions; over it new sessions get 429
	// too_many_sessions. Zero: DefaultMaxSessions.
	MaxSessions int

	// MaxPendingPolls bounds the long-polls held open at once; over it polls
	// get 429 too_many_polls. Zero: DefaultMaxPendingPolls.
	MaxPendingPolls int

	// Heartbeat is the interval of server pings on WebSocket and of
	// heartbeats on SSE (capped at 15 s there). Zero: DefaultHeartbeat (25 s).
	Heartbeat time.Duration

	// Timeout is how long a connection may stay silent before it is treated
	// as dead. Zero: Heartbeat + 20 s.
	Timeout time.Duration

	// PollHold is the longest a long-poll is held before it answers empty;
	// keep it under the idle timeout of the proxies in front (often 60 s).
	// Zero: DefaultPollHold (25 s).
	PollHold time.Duration

	// SessionTTL is how long a session survives without contact once its
	// transport is gone; a client that comes back within it resumes with
	// nothing lost. Zero: DefaultSessionTTL (2 min).
	SessionTTL time.Duration

	// Store keeps the live sessions. Nil: an in-memory store.
	Store Store

	// Logger receives connection and session events. Nil: silent.
	Logger *slog.Logger
}

// withDefaults returns a copy with every zero value replaced.
func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Transports == nil {
		c.Transports = []string{"websocket", "sse", "longpoll"}
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.MaxBufferedBytes <= 0 {
		c.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = DefaultMaxSessions
	}
	if c.MaxPendingPolls <= 0 {
		c.MaxPendingPolls = DefaultMaxPendingPolls
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = DefaultHeartbeat
	}
	if c.Timeout <= 0 {
		c.Timeout = c.Heartbeat + 20*time.Second
	}
	if c.PollHold <= 0 {
		c.PollHold = DefaultPollHold
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.Store == nil {
		c.Store = NewMemoryStore()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
