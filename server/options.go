package server

import (
	"log/slog"
	"net/http"
	"net/netip"
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
	DefaultNewSessionTTL    = 10 * time.Second
	DefaultMaxTotalBuffered = 256 << 20
	DefaultSessionsPerAddr  = 256
	DefaultNewSessionRate   = 10
	DefaultPollRate         = 50
	DefaultBodyTimeout      = 30 * time.Second
	DefaultWriteTimeout     = 10 * time.Second
	DefaultMaxHeaderBytes   = 8 << 10
	DefaultLeaseTTL         = 10 * time.Second
	// SSE heartbeats are never further apart than this, whatever Heartbeat
	// says: buffering and idle-cutting proxies need traffic.
	maxSSEHeartbeat = 15 * time.Second
	// helloTimeout bounds the wait for a WebSocket's first message.
	helloTimeout = 10 * time.Second
)

// Options configure a Handler. A nil *Options means all defaults; every
// field documents its zero value. The Handler copies the Options.
type Options struct {
	// AllowedOrigins lists the browser origins (e.g. "https://app.example.com",
	// scheme, host and port compared without regard to case and with default
	// ports implied) allowed to open sessions, against cross-site WebSocket
	// hijacking and cross-origin polling. "*" allows every origin except
	// "null", and then answers CORS without credentials (a cookie-carrying
	// browser request from another site fails). The origin "null" (sandboxed
	// frames, file: pages) is never allowed. Requests without an Origin
	// header (non-browser clients) are always allowed.
	// Nil: same origin only: the Origin's host and port must equal the
	// request's Host, and its scheme must be https when the request came over
	// TLS (or, from a trusted proxy, when X-Forwarded-Proto says https).
	AllowedOrigins []string

	// AllowedHosts lists the host names (without port; "*.example.com" for
	// every subdomain) the request's Host header may name, against DNS
	// rebinding. Nil: no Host check, except on a plaintext connection to a
	// loopback address, where a browser request (one with an Origin header)
	// must come from an https origin (a TLS-terminating proxy in front) or
	// name a loopback Host (localhost, *.localhost, 127.0.0.0/8, ::1).
	// See SECURITY.md for the trade-off.
	AllowedHosts []string

	// TrustedProxies lists the networks (e.g. netip.MustParsePrefix(
	// "10.0.0.0/8")) of reverse proxies whose forwarding headers are believed:
	// for a request whose peer address is in the list, the client's address
	// is the rightmost address of X-Forwarded-For (or, without it, of
	// Forwarded's for=) that is not itself a trusted proxy, and
	// X-Forwarded-Proto gives the scheme for the origin check. A proxy that
	// sets only Forwarded must drop X-Forwarded-For from its requests.
	// Nil: forwarding headers are ignored and the client's address is the
	// connection's peer.
	TrustedProxies []netip.Prefix

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

	// MaxTotalBufferedBytes bounds the bytes of buffered messages across all
	// sessions and both directions, plus send bodies being read. At the
	// bound, Session.Send waits, transports stop reading messages, and send
	// requests get 503 with Retry-After. The waiters are served in arrival
	// order as bytes are released (a release wakes only those it has bytes
	// for); a newcomer never passes them, but for a send request's body
	// (held while the request is applied, it carries the acks that free
	// bytes), charged whenever it fits. Unlike MaxBufferedBytes it applies
	// to a session's first message too. Zero: DefaultMaxTotalBuffered
	// (256 MiB); it is raised to at least 8 x MaxMessageBytes.
	MaxTotalBufferedBytes int64

	// MaxSessions bounds the live sessions; over it new sessions get 429
	// too_many_sessions. Zero: DefaultMaxSessions.
	MaxSessions int

	// MaxSessionsPerAddr bounds the live sessions started from one client
	// address (an IPv6 address counts as its /64), so one address cannot take
	// all of MaxSessions; over it new sessions get 429 too_many_sessions.
	// Zero: DefaultSessionsPerAddr (256); negative: no bound.
	MaxSessionsPerAddr int

	// NewSessionRate bounds the sessions one client address may start per
	// second (a token bucket holding 2 s worth); over it new sessions get
	// 429 too_many_sessions with the wait in Retry-After.
	// Zero: DefaultNewSessionRate (10); negative: no bound.
	NewSessionRate float64

	// PollRate bounds the polls and sends of one session per second (a token
	// bucket holding 2 s worth): over it a request waits its turn (up to 2 s;
	// a second one while one waits gets 429 too_many_polls). A request that
	// moves 16 KiB or more (freed by its ack, or carried as data) is not
	// counted: the bound is on requests, not on the data they carry.
	// Zero: DefaultPollRate (50); negative: no bound.
	PollRate float64

	// BodyTimeout is the longest a send request's body may take to arrive;
	// a slower (trickling) client is cut off. A Content-Length over the
	// send body limit is refused with 413 at once, without reading.
	// Zero: DefaultBodyTimeout (30 s).
	BodyTimeout time.Duration

	// MaxHeaderBytes bounds the request headers a session keeps for
	// Session.Remote (names and values; Tether-Key, Authorization and Cookie
	// are never kept, the rest in name order while they fit).
	// Authenticate sees the whole request; it does not need this copy.
	// Zero: DefaultMaxHeaderBytes (8 KiB); negative: keep no headers.
	MaxHeaderBytes int

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
	// It is the welcome's poll; a poll that asks for less (tether_hold,
	// which clients shorten behind proxies that cut idle requests sooner)
	// is held less, one that asks for more is held PollHold.
	// Zero: DefaultPollHold (25 s).
	PollHold time.Duration

	// SessionTTL is how long a session survives without contact once its
	// transport is gone; a client that comes back within it resumes with
	// nothing lost. Zero: DefaultSessionTTL (2 min).
	SessionTTL time.Duration

	// NewSessionTTL replaces SessionTTL for a session whose client never
	// came back after the request that started it (no frame after the
	// hello, no poll, no send), so abandoned sessions are freed fast.
	// Zero: DefaultNewSessionTTL (10 s), at most SessionTTL.
	NewSessionTTL time.Duration

	// Store keeps the live sessions. Nil: an in-memory store.
	Store Store

	// Shared keeps the sessions where several nodes reach them (package
	// redisstore: Redis), so any node serves any request of any session and
	// a node's death or shutdown costs its clients a reconnect, not their
	// sessions ("Several nodes" in the package documentation). Store then
	// holds this node's local copies. Nil: sessions live in this process.
	Shared SharedStore

	// SharedAuth, with Shared, keeps what Authenticate returned in the
	// shared store (encoded, at most MaxSharedAuthBytes), so the node that
	// takes a session over gives its serve function the same Session.Auth
	// (JSONAuth makes one for a JSON-encodable type). Nil: Session.Auth is
	// nil on a node that took the session over.
	SharedAuth *AuthCodec

	// Node names this node in Shared's owner leases and logs.
	// Empty: a random name.
	Node string

	// LeaseTTL is how long a node owns a session (runs its serve function)
	// without renewing; after a node dies, another takes its sessions over
	// within about LeaseTTL. A lease is renewed about every second, so keep
	// it above 3 s. Used with Shared only. Zero: DefaultLeaseTTL (10 s).
	LeaseTTL time.Duration

	// WriteTimeout bounds every write to a client: a WebSocket batch, an
	// SSE flush (a heartbeat included) and a long-poll answer. A write that
	// cannot complete within it means the path is dead (frozen by a NAT
	// rebinding, a network switch, a peer that stopped reading): the
	// connection is closed, the transport detached, and the session waits
	// for the client for SessionTTL as after any lost connection.
	// Zero: DefaultWriteTimeout (10 s).
	WriteTimeout time.Duration

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
	if c.NewSessionTTL <= 0 {
		c.NewSessionTTL = DefaultNewSessionTTL
	}
	c.NewSessionTTL = min(c.NewSessionTTL, c.SessionTTL)
	if c.MaxTotalBufferedBytes <= 0 {
		c.MaxTotalBufferedBytes = DefaultMaxTotalBuffered
	}
	c.MaxTotalBufferedBytes = max(c.MaxTotalBufferedBytes, 8*int64(c.MaxMessageBytes))
	if c.MaxSessionsPerAddr == 0 {
		c.MaxSessionsPerAddr = DefaultSessionsPerAddr
	}
	if c.NewSessionRate == 0 {
		c.NewSessionRate = DefaultNewSessionRate
	}
	if c.PollRate == 0 {
		c.PollRate = DefaultPollRate
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.BodyTimeout <= 0 {
		c.BodyTimeout = DefaultBodyTimeout
	}
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.Store == nil {
		c.Store = NewMemoryStore()
	}
	if c.Node == "" {
		c.Node = randomToken()
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
