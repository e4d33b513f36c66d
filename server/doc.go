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
// # Security
//
// The origin check is on by default (same origin, or Options.AllowedOrigins)
// against cross-site WebSocket hijacking and cross-origin polling.
// Options.Authenticate runs on every request that starts or attaches a
// session. Session ids and resume keys are 128 random bits each; keys are
// compared in constant time, and an unknown, expired or wrong-key session is
// the same 410 answer.
//
// # Limits
//
// Every resource is bounded by Options: message size, buffered bytes per
// session and direction (Send blocks when the client falls behind), live
// sessions, held long-polls, request bodies. Sessions live in a Store (in
// memory by default) for Options.SessionTTL after their last contact.
package server
