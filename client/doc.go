// Package client is Tether's public client API: a connection to a Tether
// server that survives hostile networks.
//
//	c, err := client.Dial(ctx, "wss://feed.example.com/live", nil)
//	if err != nil {
//		return err // a *ConnectError lists every transport tried and why it failed
//	}
//	defer c.Close(context.Background()) // waits for the server's answer and the last event
//	c.Send(ctx, client.Text("hello"))
//	m, err := c.Receive(ctx)
//
// # What it does for you
//
// Dial tries WebSocket, then Server-Sent Events, then HTTPS long-polling
// (Options.Transports). An upgrade refused by the network (a reverse proxy
// that strips it, a 400/403/405, a reset right after the request) moves to
// the next transport at once, so a fallback costs about one round trip.
// The fallbacks are raced, Happy Eyeballs style: a WebSocket without its
// welcome after Options.RaceDelay (250 ms; a proxy that black-holes the
// upgrade) has SSE started beside it, and SSE without its first event after
// RaceDelay (a buffering proxy) has long-polling started beside it; the
// first to complete a data round trip carries the session, and the session
// then moves to the best transport that proves itself: WebSocket is probed
// at once, and an SSE attempt whose first event still comes within
// Options.FirstEventWait (3 s) takes the session over from long-polling.
// Other transports silent past Options.SlowTimeout (2.5 s) have the next
// one started in parallel. While on a fallback, the client probes
// WebSocket in the background (30 s, doubling to 5 minutes, jittered) and
// moves back when a probe round-trips, without losing or repeating a
// message; it never uses a transport the server's welcome leaves out or
// answered transport_disabled for, for the session's life. ConnectedEvent's
// Reason says what happened to every transport tried, including one still
// unanswered.
//
// When a connection breaks, the client reconnects with exponential backoff
// and full jitter (Options.InitialBackoff, MaxBackoff, MaxAttempts; forever
// by default), honours Retry-After, resets the backoff and the attempt
// count only after a healthy connection (Options.HealthyAfter), and
// retries at once when told the network is back (Reconnect). The session
// resumes: messages sent while disconnected wait in a bounded queue and go
// out in order; messages from the server that were not acknowledged are
// replayed; duplicates are dropped. If the server forgot the session (it
// expired, or the server restarted and lost its state), a SessionLostEvent
// lists the messages that could not be guaranteed, Receive returns a
// *SessionLostError (errors.Is(err, ErrSessionLost)) once between the old
// session's messages and the new one's, and the client goes on with a new
// session; nothing is dropped silently.
//
// A path can also die without breaking: after a NAT rebinding or a Wi-Fi to
// cellular switch the old connection gets no FIN and no RST, just silence.
// While messages are in flight, an acknowledgement overdue by
// max(Options.AckTimeout, 4 x the smoothed round trip) (3 s on a fast
// network) emits a PathSilentEvent ("path silent for 3 s, probing") and
// the client attaches a fresh connection of the same transport to the
// session; the server's welcome on it is the proof the new path works, the
// session moves there at once (a ConnectedEvent, Resumed) and the resume
// replays what was not acknowledged, so nothing is lost or repeated. An
// idle connection is checked by the server's heartbeats: a dead one is
// found within the welcome's timeout (45 s with the default server).
// Options.Heartbeat makes the client ping an idle connection itself, so a
// dead idle path is found within Heartbeat + the bound; each ping wakes the
// device's radio, a battery cost to pay while the app is in the foreground
// rather than always. Natively the sockets also set TCP keep-alive and, on
// Linux, TCP_USER_TIMEOUT, so the kernel too gives up on a connection whose
// sent data stays unacknowledged (package transport, Config.UserTimeout:
// what each platform gets).
//
// # Lifecycle
//
// A server going away is not an end: a close frame whose CloseCode
// Reconnect() is true (1001 going away, as server.Handler.Shutdown sends;
// 1011, 1012, 1013), a dropped connection, or a refusal while the server
// drains (500, 503, 429 with Retry-After) make the client reconnect and
// resume; a rolling restart costs a reconnect and, when the new process does
// not have the session, a reported session loss. Only a final close code
// (1000, 1008, 1009, application codes) ends the client (ClosedEvent with a
// *CloseError), after the client answered it with its own close frame.
//
// Mobile apps: Pause drops the connection and holds reconnects while the
// app is in the background, keeping the session on the server for its ttl;
// Resume resumes it with nothing lost. NetworkChanged drops a connection
// made over the old network and reconnects now (package mobile binds these
// for iOS and Android).
//
// Each transport attempt of a connect is bounded by Options.ConnectTimeout
// (15 s) whatever the caller's context; a silent server gives a
// *ConnectError listing every attempt. When the caller's context ends
// first, the attempts still running carry its error (class
// transport.ClassCanceled). Dial waits out a Retry-After the server asks
// for; with Options.RetryOnFailedConnect it returns at once and keeps
// trying in the background.
//
// Events and calls: Dial returns after OnEvent received the events of its
// connect (ConnectingEvent, ConnectedEvent; on failure, ClosedEvent last).
// Close(ctx) sends the close frame, waits for the answer (at most 5 s), and
// returns after OnEvent received the ClosedEvent (or when ctx ends).
//
// # Errors
//
// Permanent failures stop at once with their error: a TLS or pin failure, a
// bad URL or setting (*transport.ConfigError, including Options.Transports),
// a server that does not speak Tether (*ProtocolError), a refused origin and
// refused credentials (*ServerError with CodeForbiddenOrigin or
// CodeUnauthorized) unless Options.RefreshCredentials says to retry.
// transport.Classify(err) gives the class the client acted on for any error.
// Messages name the transport, say what to do when the library knows
// (trust a CA, check the URL path, use raw mode), and carry no session ids.
//
// Every transport dials through package transport, so the same CAs, pins,
// client certificates and proxy (from the environment or Options.Dial)
// apply to all of them.
//
// # Receive, not a handler
//
// Messages are pulled with Receive rather than pushed to a callback: a loop
// on Receive keeps them in order, and a slow reader slows the server down
// through the bounded inbox instead of growing a queue. The mobile bindings
// and the browser build turn this into callbacks with one goroutine, so
// callbacks there are in order and never concurrent. Connection events, in
// contrast, are pushed (Options.OnEvent): they are rare, ordered, and
// delivered one at a time, never under the client's lock.
//
// # Writes, acks and the receive path
//
// On a native WebSocket, what the writer finds queued when it wakes goes out
// in one write: each message is framed and masked into one buffer, so a
// batch costs one write(2) and as few TLS records as its size allows (a
// batch over 64 KiB is written in parts). An ack rides in the write of the
// data that follows it, or goes alone after 20 ms or 64 unacknowledged
// messages (PROTOCOL.md 4.4), so ping-pong traffic costs one write per
// message. A received message is read into a buffer sized from the
// previous one and handed to the application as it is (see Message): with
// gorilla's message reader, two allocations per message, none past the
// link. The waits of Send, Receive, Flush and the writer share one wake-up
// (internal/seq.Signal) that reuses its channels.
//
// # Raw mode
//
// Options.Raw talks to any plain WebSocket server: messages pass through
// unchanged; proxies, TLS, pins, reconnect and WebSocket ping/pong
// heartbeats still apply, but there is no fallback transport and no resume.
//
// # Browser (js/wasm)
//
// The package builds for GOOS=js GOARCH=wasm with the same API, and Dial
// works there as it does natively: the links are the browser's WebSocket
// and fetch (SSE over a streamed body, long-polling with AbortController),
// behind the same session logic. There, TLS, certificates, pins and proxies
// belong to the browser (Options.Dial holds only the URL rules; the page's
// origin is the default Origin, so relative URLs work and ws:// on an https
// page is refused); Options.Header reaches the SSE and long-poll requests
// only (a browser WebSocket cannot send headers); EnableCompression is the
// browser's choice; Raw is refused with a *transport.ConfigError. Header is
// a transport.Header: net/http's Header natively (an alias, so http.Header
// values fit), a map type of the same shape in the browser, whose build
// leaves net/http, net, crypto/tls and crypto/x509 out.
package client
