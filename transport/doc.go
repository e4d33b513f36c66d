// Package transport is Tether's one dialing layer: every way the client reaches
// a server (WebSocket, Server-Sent Events, long-polling) goes through it, so the
// same URL rules, the same trust (CAs, client certificates, pins) and the same
// proxy apply to all of them by construction.
//
// # URLs
//
// [ParseTarget] accepts ws, wss, http and https URLs (http maps to ws, https to
// wss), fills in the default ports 80 and 443, keeps the path and query, and
// drops any fragment. Given the page origin (as a browser would have one), a
// secure origin (https) refuses a ws:// URL with a mixed-content error, like
// Chromium, which exempts loopback hosts (localhost, *.localhost, 127.0.0.0/8,
// ::1) because they are "potentially trustworthy". Without a secure origin, a
// ws:// URL to a host that is not loopback is refused unless the caller sets
// [Config.InsecureAllowPlaintext].
//
// # Trust
//
// System roots plus extra CA certificates (PEM bytes or files), or a
// replacement pool; client certificates for mutual TLS; TLS 1.2 at least.
// Certificate pins use OkHttp's format, "sha256/<base64 of the SHA-256 of the
// SubjectPublicKeyInfo>", with host patterns ("api.example.com",
// "*.example.com" for one label, "**.example.com" for any number of labels).
// Pins are checked in tls.Config.VerifyConnection against the verified chain
// (so they apply to resumed sessions too and can never make an untrusted
// certificate trusted): any pin matching any certificate of a verified chain
// passes. A mismatch is a [*PinError], and it is permanent. Pins guard the
// target only; an HTTPS proxy is verified with its own settings
// ([Config.ProxyTLS]).
//
// # Proxies
//
// HTTPS_PROXY, HTTP_PROXY and NO_PROXY (through golang.org/x/net/http/httpproxy,
// with ws and wss mapped to http and https first), or an explicit proxy, or a
// function, or none. Tether tunnels through the proxy with its own CONNECT
// dialer, over http:// and https:// proxies, with Basic credentials that go
// only to the proxy. A proxy's refusal is a [*ProxyError] that carries the
// status code, the status text and the Proxy-Authenticate challenges.
//
// # One dialer, two products
//
// [New] binds a target URL and a [Config] into a [*Dialer]. The Dialer yields
// the session's WebSocket links (registered for the client through
// internal/link; gorilla/websocket with its proxy support switched off and
// Tether's tunnel dialer and TLS settings plugged in, never shown in this
// package's API) and an *http.Client ([Dialer.HTTPClient]) for the fallback
// transports, built from the same tunnel dialer and the same TLS settings.
//
// # Errors
//
// Every failure is typed and wraps its cause: [*URLError], [*ConfigError],
// [*ProxyError], [*PinError] and [*HandshakeError]. [Classify] sorts any error
// from this package into the [Class] a client acts on: fall back at once
// ([ClassRefused]), retry later ([ClassNetwork], [ClassServer], [ClassProxy]),
// or stop ([ClassTLS], [ClassConfig], [ClassProtocol], and
// [ClassUnauthorized] unless the application can refresh its credentials); a
// context's error is [ClassCanceled]. Errors of the layers above (the
// client's protocol and server errors) carry their own class ([Classer]).
//
// # Limits
//
// The client bounds everything it reads, so that a broken or hostile server
// (or something on the way) cannot make it buffer without end; past a
// bound it drops the connection with a [*LimitError] (matching [ErrLimit])
// that says what exceeded which bound and, where an option sets it, which
// one to raise:
//
//   - the answer to a WebSocket upgrade (status line and headers, and the
//     first bytes of a refusal's body): [MaxHandshakeAnswer], 64 KiB;
//   - the status line and headers of every answer to the SSE and long-poll
//     requests (HTTPClient): [MaxResponseHeader], 64 KiB;
//   - a proxy's answer to CONNECT: [MaxProxyAnswer], 16 KiB;
//   - the body of an error answer: [MaxErrorBody], 1 KiB, kept in
//     [HandshakeError].Body;
//   - a WebSocket message: the client's MaxMessageBytes + 4 KiB, on the wire
//     and after decompression (gorilla's limit counts compressed bytes).
//
// The bodies of SSE streams and long-poll answers are bounded by package
// fallback, from the client's own largest message.
//
// # Platforms
//
// On js/wasm the browser owns TLS, proxies and sockets: only the URL rules,
// the error types and the classification are built there, so the browser build
// carries neither gorilla/websocket nor net/http dialing.
package transport
