// Package fallback is the client side of Tether's two HTTP transports,
// Server-Sent Events and long-polling (PROTOCOL.md sections 8 and 9), for
// networks where a WebSocket does not get through. Each is a [link.Link]:
// one attached transport connection of a session that moves frames in order
// and reports when it is dead. Sequence numbers, acks, replay and
// reconnection belong to the client core; a link only carries frames.
//
// # Requests
//
// Every request goes to the target's one URL (transport.Target().HTTP, with
// the application's own query parameters kept exactly as they are) through
// the Dialer's HTTPClient, so the same proxy, TLS trust and pins apply as to
// the WebSocket. Tether adds tether=<mode>, tether_v=1, tether_sid and
// tether_ack; the session key travels in the Tether-Key header, never in the
// URL (only a browser EventSource needs tether_key, and this is not one).
// dialOptions.Header is called for every request (for fresh auth tokens); the
// dialing layer tunnels through proxies with CONNECT, so they never see it.
//
// # SSE
//
// dialSSE sends GET ?tether=sse and waits for the first event, which must
// be the welcome. A proxy that buffers the response holds that event back:
// when nothing arrives within dialOptions.FirstEventTimeout of the request being
// written, dialSSE fails with a *transport.HandshakeError of class
// ClassRefused wrapping [ErrNoFirstEvent], and the client moves on to
// long-polling. After the welcome a goroutine reads the stream, one frame per
// event, and Recv hands the frames out. Any byte, heartbeat comments
// included, proves the connection alive; silence for the welcome's timeout
// kills the link. The stream ending kills it too.
//
// # Long-polling
//
// dialPoll sends GET ?tether=poll-open, whose answer is the welcome. Recv
// then polls (GET ?tether=poll&tether_ack=<the last recv given to Acked>), one poll at a
// time, and hands out the answer's frames one by one before polling again,
// so every poll acks exactly what the client core has taken. A poll the
// server holds until its poll time runs out answers [] and Recv polls again.
// A poll whose answer is lost on the way (reset, proxy time-out, truncated
// body) is retried at once and then after short pauses: the server sends
// everything above the ack again (PROTOCOL.md 9.6), so nothing is lost. Only
// repeated failures, no answer within poll + timeout, or a 4xx answer
// (final, but 429 is waited out) kill the link.
//
// Each poll asks the server for a hold (tether_hold, PROTOCOL.md 9.3),
// first the welcome's poll, or what the client's earlier long-poll links
// learned (link.Env.PollHolds). An idle poll cut on the way before its hold
// ran out (a 502 or 504 from a proxy, or a reset with no answer) shortens
// the holds asked for after it, and polls held to their end lengthen them
// again (hold.go): behind a proxy that cuts idle requests sooner than the
// server holds them, a client loses two polls to it, then none, whatever
// links it makes.
//
// # Sending
//
// Both links send with POST ?tether=send, a JSON batch per request, split
// into several requests, one after another, where a batch is over the body
// limits of PROTOCOL.md section 14. The server's answer (its ack, a pong, its
// close) comes out of Recv with the other frames.
//
// # Errors
//
// A non-2xx answer is the *transport.HandshakeError of
// Dialer.StatusError, classified; when its body is a Tether error object it
// is wrapped in a *link.ServerError, so that errors.As finds both the code
// (wire.CodeSessionNotFound, ...) and the HTTP status. An error frame on the
// SSE stream is a *link.ServerError too. An attach answered with something
// that is not Tether (a captive portal's page) is a HandshakeError of class
// ClassRefused. Every other failure wraps its cause.
//
// # Limits
//
// Nothing the server sends is read without a bound, and the bounds follow
// the client's own dialOptions.MaxMessage, never the server's word: the
// welcome's max can only lower them. Let max be the smaller of the two. A
// payload is at most max bytes; a poll, poll-open or send answer, an SSE
// line and an SSE event at most 6 x max + 64 KiB (an answer whose
// Content-Length says more is refused before its body is read); the
// status line and headers of any answer at most transport.MaxResponseHeader
// (64 KiB); an error answer's body is read up to transport.MaxErrorBody
// (1 KiB). Past a bound the link fails with a *transport.LimitError that
// says what exceeded which bound and which option raises it (it matches
// wire.ErrTooLarge where a payload or answer was too large), and the
// connection is dropped.
//
// # Platforms
//
// The links are one piece of code natively and in the browser (js/wasm):
// the attach and its checks, the first-event window, the poll loop, sends,
// acks and the mapping of errors are written once, over a small exchanger
// interface that makes one HTTP request (exchange.go). Natively it is the
// Dialer's net/http client (nethttp.go); in the browser it is fetch with a
// streamed body and an AbortController (fetch_js.go), which cannot see when
// a request is written: there the first-event window and a send's answer
// window start when fetch is called. The browser build imports neither
// net/http nor net. Calls on a closed link return an error matching
// net.ErrClosed natively and link.ErrClosed in the browser.
//
// # Lifetime
//
// Close is idempotent: it cancels every outstanding request, makes pending
// and later calls return an error matching net.ErrClosed, and returns once
// the link's goroutines have ended. Closing a link does not end the session.
package fallback
