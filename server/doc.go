// Package server is Tether's server side: an http.Handler that serves
// sessions on one URL over WebSocket, Server-Sent Events and long-polling,
// speaking the protocol in PROTOCOL.md.
//
// A Session is transport-agnostic: the application sends and receives
// messages, each delivered exactly once and in order across reconnects and
// transport switches while the session lives, and never needs to know which
// transport carried them.
//
//	h := server.NewHandler(func(s *server.Session) {
//		for {
//			m, err := s.Receive(s.Context())
//			if err != nil {
//				return // closed, expired or shut down
//			}
//			s.Send(s.Context(), m) // echo
//		}
//	}, nil)
//	http.Handle("/live", h)
//
// # Why a serve function and Receive
//
// NewHandler runs one function per session in its own goroutine, which
// loops on Session.Receive, like a net.Conn read loop. The alternative, a
// callback per message, cannot slow a fast client down without blocking a
// transport goroutine, and makes ordering the application's problem. With
// Receive, a slow application leaves messages in the session's bounded
// inbox, the transport stops reading, and the client's sends wait: every
// limit is enforced, nothing is dropped.
//
// # Writes, acks and what a connection holds
//
// On WebSocket, what is queued when a connection's writer runs goes out in
// one write: several WebSocket messages in one write(2), in as few TLS
// records as their size allows. The writer runs only while there is
// something to write, so an idle connection holds one goroutine (its
// reader) besides the session's serve function, and no write buffer. An
// ack rides in the write of the data that follows it, or goes alone after
// 20 ms or 64 unacknowledged messages (PROTOCOL.md 4.4). On SSE a batch is
// one flush; on long-polling, one answer. A received message's Data is a
// copy the application owns (see Message).
//
// Every write, an SSE heartbeat (at most 15 s apart) included, must complete
// within Options.WriteTimeout (10 s). One that cannot means the path is
// dead (frozen by a NAT rebinding or a network switch, or the peer stopped
// reading): the connection is closed, the transport detached and the log
// says so ("sse: write stalled 10s: detached"); the session waits for its
// client for SessionTTL as after any lost connection. A frozen path can
// also take small writes for a long time (the kernel buffers them): then
// the client's resume on a fresh connection supersedes it, the old
// stream's write is cut to 1 s, and its connection is closed at once
// rather than kept idle.
//
// # Security
//
// The origin check is on by default (same origin, scheme included, or
// Options.AllowedOrigins) against cross-site WebSocket hijacking and
// cross-origin polling; "*" never comes with credentials and never allows
// the origin "null". Options.AllowedHosts checks the Host header against DNS
// rebinding; without it, a plaintext server on a loopback address refuses
// browser requests from http pages that name another host.
// Options.Authenticate runs on every request that starts or attaches a
// session. Session ids and resume keys are 128 random bits each; keys are
// compared in constant time, and an unknown, expired or wrong-key session is
// the same 410 answer. SECURITY.md in the repository lists every limit, its
// default, and what to set in front of the server.
//
// # Limits
//
// Every resource is bounded by Options, against a peer that never reads as
// much as one that floods: message size; buffered bytes per session and
// direction (Send blocks when the client falls behind) and across all
// sessions (MaxTotalBufferedBytes, 256 MiB: its waiters are served in
// arrival order, and a release wakes only those it has bytes for, so the
// waiting Sends of many sessions whose clients never read cost nothing per
// ack of another client); live sessions, per server and
// per client address, and new sessions per second per address (the address
// comes from forwarding headers only from TrustedProxies); held long-polls,
// and polls and sends per session per second; one pending pong per
// connection (a newer one replaces it); request bodies, by size (413 at once
// for a Content-Length over the limit) and by time (BodyTimeout); the
// headers a session keeps. Sessions live in a Store for Options.SessionTTL
// after their last contact, or for the shorter Options.NewSessionTTL when
// the client never came back after starting one. Overload answers 429
// (too_many_sessions, too_many_polls) or 503 with Retry-After and the
// error's retry field.
//
// # Several nodes
//
// One node keeps its sessions in memory (Options.Store, the default; no
// serialization, nothing to install). To run N nodes behind any balancer,
// sticky or not, the nodes share a SharedStore (package redisstore: Redis)
// that holds everything a session is, so any node can serve any request of
// any session:
//
//   - the record (id, key, remote info, how it ended) and the sequence
//     state of both directions: the last seq, the acked seq and the bytes
//     held;
//   - the unacknowledged messages of both directions, in order (Redis
//     Streams with entry ids 0-<seq>): to the client until the client acks
//     them, from the client until the application has taken them with
//     Receive. A node acks a client's message only once it is stored, so a
//     node that dies loses nothing it acknowledged;
//   - an owner lease that expires: the application's serve function for a
//     session runs on the one node that holds it, renewing it; its token
//     fences the sends, so a node that lost the lease (paused, partitioned)
//     cannot send;
//   - wake-ups (Redis pub/sub, one connection per node) when anything of a
//     session changes, carrying the session's version (one more with each
//     change), plus a periodic re-read for what pub/sub misses. A mirror
//     reads only what it lacks: one script per wake-up, none for a change
//     it made itself.
//
// Session.Auth is kept too when Options.SharedAuth says how to encode it
// (at most MaxSharedAuthBytes), so the node that takes a session over
// sees what Authenticate returned when it started. Each node charges its
// local copies of messages (its mirrors of the messages to the clients,
// the owner's read-ahead of theirs) to its MaxTotalBufferedBytes and holds
// no more than it takes: the rest waits in the store, read once acks free
// bytes (the other buffers of the node feel it), and a resuming client's
// ack is checked against the store's last message, not the local copy.
// MaxSessions and the per-address admission bounds count per node: a
// session mirrored on several nodes counts on each, and the per-address
// bounds count the sessions a node started, not the cluster's.
//
// A request for a session, on any node, finds it in the store (checking the
// key), mirrors its unacknowledged messages (as far as the budget takes
// them) and seq state into a local Session, and serves the transport from that mirror as one node does; the
// client's messages are appended to the store (the receiver rule, duplicates
// and gaps, is applied atomically there) and its acks trim the store. The
// owner's Send appends to the store and its Receive reads from it. When the
// owner is gone (its lease expired), a node that serves a request of the
// session takes the lease and runs serve, which resumes from the stored
// state: the client sees nothing but, at worst, a reconnect.
//
// Every key of a session carries its id as a hash tag ({sid}), so Redis
// Cluster (redisstore.Open with redis+cluster://) keeps a session in one
// slot and each operation is one atomic script; the keys expire with the session TTL, which client contact
// extends. Handler.Shutdown with a shared store hands its sessions over:
// it releases their leases and closes their connections with 1001, which
// clients treat as "reconnect"; another node resumes them. When the store is
// unavailable, requests fail with a retryable error and nothing is buffered
// beyond the per-session bounds; a session the store lost (Redis restarted
// empty) answers session_not_found, so the client reports its unacknowledged
// messages (SessionLostEvent) rather than losing them silently.
//
// # The http.Server in front
//
// The Handler bounds what it holds; the http.Server that embeds it must
// bound the rest. Set ReadHeaderTimeout (10 s is plenty) and MaxHeaderBytes
// (64 KiB: a session keeps at most Options.MaxHeaderBytes of them, but the
// server reads them all), ReadTimeout (30 s: the Handler extends it, with
// http.ResponseController, for long-polls and SSE streams and cuts send
// bodies at BodyTimeout) and IdleTimeout (60 s) for idle keep-alive
// connections. Leave WriteTimeout at 0, or above PollHold + Timeout: the
// Handler sets a deadline (Options.WriteTimeout) on every write of a stream
// and of a long-poll answer itself. `tether serve` is an example (cmd/tether/serve.go,
// newHTTPServer).
package server
