package client

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/internal/xfmt"
	"github.com/tether-sdk/tether/transport"
)

// Defaults for the zero values of Options.
const (
	DefaultSlowTimeout     = 2500 * time.Millisecond
	DefaultRaceDelay       = 250 * time.Millisecond
	DefaultFirstEventWait  = wire.DefaultFirstEventWait
	DefaultInitialBackoff  = 500 * time.Millisecond
	DefaultMaxBackoff      = 30 * time.Second
	DefaultHealthyAfter    = 30 * time.Second
	DefaultProbeInterval   = 30 * time.Second
	DefaultMaxProbeBackoff = 5 * time.Minute
	DefaultMaxQueuedBytes  = 4 << 20
	DefaultMaxMessageBytes = wire.DefaultMax
	DefaultRawPing         = 25 * time.Second
	DefaultConnectTimeout  = wire.DefaultHandshake
	DefaultAckTimeout      = 3 * time.Second
)

// AckTimeoutRTTs is how many smoothed round trips an answer may take before
// the path is probed, when that is longer than Options.AckTimeout.
const AckTimeoutRTTs = 4

// Options configure a Client. A nil *Options means all defaults; every field
// documents its zero value. Dial copies the Options.
type Options struct {
	// Transports lists the transports to try, in order: TransportWebSocket,
	// TransportSSE, TransportLongPoll ("websocket", "sse", "longpoll"); an
	// unknown name is a *transport.ConfigError. Nil: all three, in that
	// order. With Raw, only TransportWebSocket is allowed.
	Transports []string

	// Raw talks to a plain WebSocket server that does not speak Tether:
	// messages pass through unchanged; proxy, TLS, pins, reconnect and
	// WebSocket ping/pong heartbeats still apply, but there is no fallback
	// transport and no resume (messages in flight when a connection breaks
	// may be lost). Zero: the Tether session protocol.
	Raw bool

	// Header is sent with every connect (upgrade and HTTP requests), never to
	// a proxy. transport.Header is net/http's Header natively (an alias); in
	// the browser it is a map of the same shape and reaches only the SSE and
	// long-poll requests (a browser WebSocket cannot send headers). Nil: none.
	Header transport.Header

	// HeaderFunc is called before every connect and reconnect; its headers
	// are added to Header (fresh tokens). An error fails that attempt.
	// Nil: none.
	HeaderFunc func(ctx context.Context) (transport.Header, error)

	// RefreshCredentials, when set, is called after the server refused the
	// credentials (401, or 403 with Dial.ForbiddenIsUnauthorized); if it
	// returns nil the client retries (with HeaderFunc called again), else it
	// stops with the refusal. Nil: a refusal stops the client at once.
	RefreshCredentials func(ctx context.Context, refusal error) error

	// ConnectTimeout bounds each transport's attempt of a connect (TCP,
	// proxy, TLS, the upgrade or first request, and the server's welcome),
	// whatever the caller's context: a server that accepts the connection
	// and never answers fails that attempt, and the connect fails with a
	// *ConnectError listing every attempt. Zero: DefaultConnectTimeout
	// (15 s).
	ConnectTimeout time.Duration

	// RetryOnFailedConnect makes Dial return a Client even when the first
	// connect failed (unless the failure is permanent: TLS, a bad setting,
	// refused credentials, a server that does not speak Tether): the client
	// then keeps trying in the background, with backoff, as after a lost
	// connection (MaxAttempts applies), and Send queues meanwhile; the
	// events say how it goes. Zero: Dial returns the connect's error (after
	// waiting out a Retry-After the server asked for, while ctx allows).
	RetryOnFailedConnect bool

	// SlowTimeout is how long a transport may stay silent before the next
	// one is started in parallel (the first to prove a round trip wins).
	// WebSocket and SSE are raced sooner (RaceDelay); with RaceDelay
	// negative, SSE's is SlowTimeout + FirstEventWait, so that the parallel
	// start never cuts SSE's first-event window short. Zero:
	// DefaultSlowTimeout (2.5 s).
	SlowTimeout time.Duration

	// RaceDelay is how long a WebSocket attempt may stay without its
	// welcome before the next transport is started beside it, the way Happy
	// Eyeballs races address families: a black-holed upgrade then costs
	// RaceDelay, not SlowTimeout, and the first transport to complete its
	// welcome carries the session. When a fallback wins while WebSocket was
	// still unanswered, WebSocket is probed at once (PROTOCOL.md section 10)
	// and the session moves to it if it proves itself, with nothing lost.
	// SSE without its first event after RaceDelay (a buffering proxy holds
	// it back) has long-polling started beside it; SSE keeps its window
	// (FirstEventWait), and when its first event comes after long-polling
	// won, the session moves to SSE.
	// Once the attempt's request is on the wire (the upgrade request, the
	// SSE request written), the race is paced by the path's round trip,
	// measured by the handshakes of the client's connections (RFC 8305
	// allows it): the next transport starts when the answer is 4 round
	// trips overdue, at least 20 ms after the request, and never later
	// than RaceDelay after the attempt started. The browser measures no
	// handshake: its WebSocket attempt counts from its start with twice the
	// browser's estimate of the round trip (navigator.connection.rtt, where
	// there is one), and a reconnect uses the session's own round trip of
	// acks and pongs; with neither, RaceDelay alone applies.
	// Only an unanswered attempt is raced: a refusal moves on at once, and
	// the transport that last worked is still tried first.
	// Zero: DefaultRaceDelay (250 ms). Negative: no race, SlowTimeout applies.
	RaceDelay time.Duration

	// FirstEventWait is how long SSE may take to deliver its first event
	// (the welcome), counted from when the request was written; a buffering
	// proxy holds it back, and the client moves on to long-polling at once.
	// Zero: DefaultFirstEventWait (3 s, PROTOCOL.md 8.1).
	FirstEventWait time.Duration

	// InitialBackoff and MaxBackoff bound the reconnect delays (exponential,
	// full jitter). Zero: 500 ms and 30 s.
	InitialBackoff, MaxBackoff time.Duration

	// MaxAttempts bounds the reconnect attempts since the last healthy
	// connection (see HealthyAfter: a connection that drops sooner does not
	// start the count again), and, with RetryOnFailedConnect, after a failed
	// first connect; then the client closes with the last error. Without
	// RetryOnFailedConnect it also bounds Dial's attempts after cuts and
	// Retry-After waits. Zero: forever (Dial: 5 attempts after cuts).
	MaxAttempts int

	// HealthyAfter is how long a connection must stay up before the backoff
	// (and the attempt count of ReconnectingEvent) starts again from
	// InitialBackoff (and 1); a connection that drops sooner continues the
	// schedule where it was, so a server that accepts and drops at once is
	// not hammered. Reconnect also starts it again.
	// Zero: DefaultHealthyAfter (30 s).
	HealthyAfter time.Duration

	// ProbeInterval is the first step of the schedule of WebSocket probes
	// while on a fallback transport (PROTOCOL.md section 10): the step
	// doubles after each failed probe up to DefaultMaxProbeBackoff (5
	// minutes), and each wait is drawn uniformly between half the step and
	// the step. A new fallback connection starts the schedule again. No
	// probe is made when the server's welcome leaves WebSocket out of its
	// transports, or after it answered transport_disabled for WebSocket.
	// Zero: DefaultProbeInterval (30 s). Negative: never probe.
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

	// AckTimeout is the floor of the bound on a late answer: while messages
	// are in flight (sent, not yet acknowledged) or a ping of the client
	// (Heartbeat) is unanswered, an answer overdue by max(AckTimeout,
	// AckTimeoutRTTs x the smoothed round trip of acks) makes the client
	// emit a PathSilentEvent and attach a fresh connection of the same
	// transport to the session (a resume, which supersedes the silent one);
	// when the server welcomes it, the session moves there at once, and the
	// resume replays what was not acknowledged: nothing is lost or repeated.
	// A slow path whose acks come within the bound is left alone. Zero:
	// DefaultAckTimeout (3 s). Negative: never probe (and no Heartbeat
	// pings); a dead path is then found only by the link's liveness timeout
	// (the welcome's timeout, 45 s with the default server). Not used with
	// Raw (RawPingInterval bounds a plain WebSocket).
	AckTimeout time.Duration

	// Heartbeat is how long the session's link may stay silent while idle
	// (nothing in flight) before the client pings the server itself; the
	// pong is then due within the AckTimeout bound, so a dead idle path is
	// found within Heartbeat + that bound instead of the welcome's timeout
	// (45 s with the default server: its 25 s heartbeat + 20 s). Battery
	// cost: every ping wakes the device's radio (on cellular it then stays
	// in a high-power state for several seconds), so a 10 s Heartbeat on an
	// otherwise idle connection costs several times the battery of the
	// server's 25 s heartbeat alone; shorten it only while the app is in the
	// foreground. Zero: the client does not ping; the server's heartbeats
	// and the welcome's timeout find a dead idle link, as before. Not used
	// with Raw, nor with a negative AckTimeout.
	Heartbeat time.Duration

	// RawPingInterval is the WebSocket ping interval in Raw mode; two missed
	// intervals mean a dead connection. Zero: DefaultRawPing (25 s).
	RawPingInterval time.Duration

	// OnEvent receives connection events, in order, one at a time (from a
	// goroutine that runs while events wait, so an idle client holds none)
	// and never while the client holds a lock. It must not block for long, and
	// must not call Close (Close waits for the events to be delivered).
	// Dial returns after the events of its connect were delivered (the
	// ConnectedEvent included; on failure, the ClosedEvent); Close returns
	// after the ClosedEvent was delivered. Nil: events are dropped.
	OnEvent func(Event)

	// Logger receives diagnostics (*slog.Logger natively; see [Logger]). Nil:
	// silent.
	Logger Logger

	// Dial configures the dialing layer every transport uses: TLS (CAs,
	// client certificates, pins), proxies, the page origin and plaintext
	// rules. In the browser only the URL rules exist. Nil: system roots,
	// proxy from the environment, wss required for non-loopback hosts.
	Dial *transport.Config

	// linkDialer replaces the registered links (tests only).
	linkDialer linkDialer
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

// withDefaults returns a copy with zero values replaced, or a
// *transport.ConfigError for a setting that cannot be used.
func (o *Options) withDefaults() (Options, error) {
	var c Options
	if o != nil {
		c = *o
	}
	known := []string{TransportWebSocket, TransportSSE, TransportLongPoll}
	for i, tr := range c.Transports {
		if !slices.Contains(known, tr) {
			return c, &transport.ConfigError{Field: xfmt.Sprintf("Options.Transports[%d]", i), Value: tr,
				Err: errors.New("unknown transport: use websocket, sse or longpoll (TransportWebSocket, TransportSSE, TransportLongPoll)")}
		}
		if slices.Index(c.Transports, tr) != i {
			return c, &transport.ConfigError{Field: xfmt.Sprintf("Options.Transports[%d]", i), Value: tr, Err: errors.New("listed twice")}
		}
	}
	if c.Transports != nil && len(c.Transports) == 0 {
		return c, &transport.ConfigError{Field: "Options.Transports", Err: errors.New("empty: leave it nil for all three, or list at least one")}
	}
	if c.Raw && c.Transports != nil && !slices.Equal(c.Transports, []string{TransportWebSocket}) {
		return c, &transport.ConfigError{Field: "Options.Transports", Value: strings.Join(c.Transports, ","),
			Err: errors.New("with Options.Raw (a plain WebSocket server) there is no fallback transport: leave Transports nil, or websocket only")}
	}
	if c.Transports == nil {
		c.Transports = known
	}
	if c.Raw {
		c.Transports = []string{TransportWebSocket}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ConnectTimeout, DefaultConnectTimeout)
	def(&c.SlowTimeout, DefaultSlowTimeout)
	if c.RaceDelay == 0 {
		c.RaceDelay = DefaultRaceDelay
	}
	def(&c.FirstEventWait, DefaultFirstEventWait)
	def(&c.InitialBackoff, DefaultInitialBackoff)
	def(&c.MaxBackoff, DefaultMaxBackoff)
	def(&c.HealthyAfter, DefaultHealthyAfter)
	if c.AckTimeout == 0 {
		c.AckTimeout = DefaultAckTimeout
	}
	if c.Heartbeat < 0 {
		c.Heartbeat = 0
	}
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
		c.Logger = silentLogger()
	}
	return c, nil
}
