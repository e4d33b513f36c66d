// Package conformance checks a Tether server against the server-side rules
// of PROTOCOL.md, over every transport the server offers. It talks to the
// server with raw WebSockets (gorilla/websocket) and plain HTTP requests,
// never through Tether's client, so a check cannot pass by leaning on the
// client's leniency; frames are parsed with the strict parser of
// internal/wire.
//
// Each check has an id ("ws.resume"), the PROTOCOL.md section it checks, a
// level (MUST or SHOULD) and the transport it needs. Run runs them in order
// and returns one Result per check: pass, fail (with what the server did) or
// skip (with the reason: a transport the welcome does not offer, a wait
// longer than Config.MaxWait, a check that needs an echoing endpoint).
//
// Checks that look at data the server sends (replay on resume, seq
// numbering, SSE event ids) need an endpoint that echoes every message back
// to its sender, like `tether serve` in its default mode; Config.NoEcho skips
// them. Every check starts its own sessions, so checks do not depend on each
// other's leftovers, and the timed checks (waiting for hb, poll or ttl) run
// alongside the others. A server that rate-limits new sessions (429
// too_many_sessions) is waited for as told, as a client would.
package conformance
