// Package hostile provides in-process hostile-network components for tests,
// the integration suite and `tether demo`.
//
// Real networks between an app and its server contain corporate proxies
// that demand credentials or answer nonsense, reverse proxies that drop
// WebSocket upgrades or buffer event streams, firewalls that swallow
// packets, and links that die at random. Each component here reproduces one
// of those on 127.0.0.1 so that Tether's fallbacks can be exercised
// deterministically, without root, containers or external services:
//
//   - [ForwardProxy]: an HTTP CONNECT proxy, optionally over TLS, optionally
//     demanding Basic credentials, optionally restricting target ports, and
//     scriptable to answer with raw, malformed bytes ([Script]).
//   - [StripUpgrade]: a streaming reverse proxy that drops Upgrade and
//     Connection headers, so WebSocket handshakes fail but SSE works.
//   - [Buffering]: a reverse proxy that holds response bodies back until a
//     size threshold, stalling SSE while long-poll passes.
//   - [BlackHole]: accepts TCP connections and never answers.
//   - [FaultProxy]: a TCP relay that cuts connections after seeded random
//     lifetimes, on demand, and can refuse new connections.
//
// Every component listens on 127.0.0.1:0 when constructed, reports its
// address with Addr and URL, exposes counters for assertions, and has a Close
// method that severs every connection and waits for the goroutines it
// started, so tests that use them do not leak.
package hostile
