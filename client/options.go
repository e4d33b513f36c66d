package client

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/tether-sdk/tether/transport"
)

// Defaults for the zero values of Options.
const (
	DefaultSlowTimeout     = 2500 * time.Millisecond
	DefaultFirstEventWait  = 3 * time.Second
	DefaultInitialBackoff  = 500 * time.Millisecond
	DefaultMaxBackoff      = 30 * time.Second
	DefaultHealthyAfter    = 30 * time.Second
	DefaultProbeInterval   = 5 * time.Second
	DefaultMaxProbeBackoff = 5 * time.Minute
	DefaultMaxQueuedBytes  = 4 << 20
	DefaultMaxMessageBytes = 1 << 20
	DefaultRawPing         = 25 * time.Second
)

// Options configure a Client. A nil *Options means all defaults; every field
// documents its zero value. Dial copies the Options.
type Options struct {
	// Transports lists the transports to try, in order: "websocket", "sse",
	// "longpoll". Nil: all three, in that order.
	Transports []string

	// Raw talks to a plain WebSocket server that does not speak Tether:
	// messages pass through unchanged; proxy, TLS, pins, reconnect and
	// WebSocket ping/pong heartbeats still apply, but there is no fallback
	// transport and no resume (messages in flight when a connection breaks
	// may be lost). Zero: the Tether session protocol.
	Raw bool

	// Header is sent with every connect (upgrade and HTTP requests), never to
	// a proxy. Nil: none.
	Header http.Header

	// HeaderFunc is called before every connect and reconnect; its headers
	// are added to Header (fresh tokens). An error fails that attempt.
	// Nil: none.
	HeaderFunc func(ctx context.Context) (http.Header, error)

	// RefreshCredentials, when set, is called after the server refused the
	// credentials (401, or 403 with Dial.ForbiddenIsUnauthorized); if it
	// returns nil the client retries (with HeaderFunc called again), else it
	// stops with the refusal. Nil: a refusal stops the client at once.
	RefreshCredentials func(ctx context.Context, refusal error) error

	// SlowTimeout is how long a transport may stay silent before the next
	// one is started in parallel (the first to prove a round trip wins).
	// Zero: DefaultSlowTimeout (2.5 s).
	SlowTimeout time.Duration

	// FirstEventWait is how long SSE may take to deliver its first event; a
	// buffering proxy holds it back, and the client moves on to long-polling.
	// Zero: DefaultFirstEventWait (3 s).
	FirstEventWait time.Duration

	// InitialBackoff and MaxBackoff bound the reconnect delays (exponential,
	// full jitter). Zero: 500 ms and 30 s.
	InitialBackoff, MaxBackoff time.Duration

	// MaxAttempts bounds the reconnect attempts after a loss; then the client
	// closes with the last error. Zero: forever.
	MaxAttempts int

	// HealthyAfter is how long a connection must stay up before the backoff
	// starts from InitialBackoff again. Zero: DefaultHealthyAfter (30 s).
	HealthyAfter time.Duration

	// ProbeInterval is the first delay before probing WebSocket again while
	// on a fallback transport; later probes back off to 5 minutes.
	// Zero: DefaultProbeInterval (5 s). Negative: never probe.
	ProbeInterval time.Duration

	// MaxQueuedBytes bounds the messages sent but not yet acknowledged
	// (including those queued while disconnected). When full, Send waits for
	// room until its context ends, then returns ErrQueueFull.
	// Zero: DefaultMaxQueuedBytes (4 MiB).
	MaxQueuedBytes int

	// MaxMessageBytes is the largest message sent or received. The server's
	// max (in its welcome) can lower it for the session, never raise it: a
	// server cannot make the client read more than this allows. It also sets
	// the bounds on what the client reads from the network: a WebSocket
	// message at MaxMessageBytes + 4 KiB (after decompression), an SSE line
	// or event and a long-poll or send answer at 6 x MaxMessageBytes +
	// 64 KiB (one message in the worst JSON escaping). A server that sends
	// more gets its connection dropped with a *transport.LimitError (see
	// DisconnectedEvent); the fixed bounds (64 KiB of handshake answer or
	// response header, 1 KiB of an error body) are in package transport.
	// Zero: DefaultMaxMessageBytes (1 MiB).
	MaxMessageBytes int

	// EnableCompression offers permessage-deflate on WebSocket. Zero: off.
	EnableCompression bool

	// RawPingInterval is the WebSocket ping interval in Raw mode; two missed
	// intervals mean a dead connection. Zero: DefaultRawPing (25 s).
	RawPingInterval time.Duration

	// OnEvent receives connection events, in order, from one goroutine and
	// never while the client holds a lock. It must not block for long.
	// Nil: events are dropped.
	OnEvent func(Event)

	// Logger receives diagnostics. Nil: silent.
	Logger *slog.Logger

	// Dial configures the dialing layer every transport uses: TLS (CAs,
	// client certificates, pins), proxies, the page origin and plaintext
	// rules. In the browser only the URL rules exist. Nil: system roots,
	// proxy from the environment, wss required for non-loopback hosts.
	Dial *transport.Config

	// LinkDialer replaces the native transports; Tether's platform packages
	// (wasm) set it. Nil: the native transports.
	LinkDialer LinkDialer
}

func (o *Options) maxMessage() int {
	if o.MaxMessageBytes > 0 {
		return o.MaxMessageBytes
	}
	return DefaultMaxMessageBytes
}

func (o *Options) rawPingInterval() time.Duration {
	if o.RawPingInterval > 0 {
		return o.RawPingInterval
	}
	return DefaultRawPing
}

// withDefaults returns a copy with zero values replaced.
func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Transports == nil {
		c.Transports = []string{"websocket", "sse", "longpoll"}
	}
	if c.Raw {
		c.Transports = []string{"websocket"}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.SlowTimeout, DefaultSlowTimeout)
	def(&c.FirstEventWait, DefaultFirstEventWait)
	def(&c.InitialBackoff, DefaultInitialBackoff)
	def(&c.MaxBackoff, DefaultMaxBackoff)
	def(&c.HealthyAfter, DefaultHealthyAfter)
	if c.ProbeInterval == 0 {
		c.ProbeInterval = DefaultProbeInterval
	}
	if c.MaxQueuedBytes <= 0 {
		c.MaxQueuedBytes = DefaultMaxQueuedBytes
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
