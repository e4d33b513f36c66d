package server

import (
	"context"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/tether-sdk/tether/internal/seq"
	"github.com/tether-sdk/tether/internal/wire"
)

// Session is one client's session: an ordered, exactly-once stream of
// messages each way that survives reconnects and transport switches. The
// application never needs to know which transport carries it.
//
// Concurrency: Send, Receive, Close and the accessors may be called from any
// goroutine. Messages from one Receive caller come out in order; Sends are
// delivered in the order they returned.
type Session struct {
	h       *Handler
	claimed atomic.Bool // a request with the key came: the client has the welcome (attempts.go)
	id      string
	key     string
	remote  RemoteInfo
	auth    any
	ctx     context.Context
	cancel  context.CancelFunc

	addr        netip.Prefix  // admission key of the client's address
	admitted    bool          // counted in addr's admission (a mirror of a shared session is not)
	sh          *sharedState  // with Options.Shared; nil otherwise
	established atomic.Bool   // the client came back after the request that started it
	sendSlot    chan struct{} // held by the send request being applied (one at a time)
	sendWaiters atomic.Int32  // send requests waiting for sendSlot
	removeOnce  sync.Once

	mu         sync.Mutex
	sig        seq.Signal // wakes Send, Receive, deliver and the shared loops on a change (waitLocked)
	out        seq.Outbox
	in         seq.Receiver
	inbox      []Message // from inboxHead on: received, not yet taken
	inboxHead  int
	inboxBytes int
	att        *attachment // the transport carrying the session; nil when detached
	transport  string      // name of att's transport, kept after detach for Transport()
	ended      error       // why the session ended; nil while it lives
	closeFrame *wire.Close // the close frame to send (server close, or the answer to the client's)
	expiry     *time.Timer
	held       int64  // bytes charged to the Handler's budget
	polls      bucket // Options.PollRate, for polls
	sends      bucket // Options.PollRate, for sends
	pollWait   bool   // a poll waits for its turn (pace)
	sendWait   bool   // a send waits for its turn (pace)
}

// RemoteInfo describes the client from the request that started the session.
type RemoteInfo struct {
	Addr string // the connection's peer address as the server saw it (a proxy's, behind one)
	// IP is the client's address: Addr's, or the forwarded one when Addr is
	// one of Options.TrustedProxies.
	IP netip.Addr
	// Header holds the request's headers up to Options.MaxHeaderBytes, in
	// name order; Tether-Key, Authorization and Cookie are never kept (read
	// them in Options.Authenticate, which sees the whole request).
	Header    http.Header
	UserAgent string // at most 512 bytes
}

// ID is the session id (public; not a credential).
func (s *Session) ID() string { return s.id }

// Transport names the transport carrying the session now ("websocket",
// "sse" or "longpoll"), or the last one while the client is away.
func (s *Session) Transport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transport
}

// Remote describes the client.
func (s *Session) Remote() RemoteInfo { return s.remote }

// Auth is what Options.Authenticate returned when the session started.
// With Options.Shared, on a node that took the session over, it is what
// Options.SharedAuth decoded (nil without SharedAuth).
func (s *Session) Auth() any { return s.auth }

// Context is canceled when the session ends.
func (s *Session) Context() context.Context { return s.ctx }

// Send queues m for the client. It returns once m is buffered; the session
// delivers it exactly once and in order, across reconnects, while the
// session lives. When the buffer of unacknowledged messages is full
// (Options.MaxBufferedBytes), Send waits for the client to catch up, or for
// ctx. Errors: ErrTooLarge, ErrInvalidText, ErrClosed (*CloseError),
// ErrExpired, ErrShutdown, or ctx's error. With Options.Shared, m is in the
// shared store when Send returns; Send waits while the store is unavailable,
// and returns ErrMoved once another node owns the session.
func (s *Session) Send(ctx context.Context, m Message) error {
	if len(m.Data) > s.h.opts.MaxMessageBytes {
		return ErrTooLarge
	}
	if !m.Binary && !utf8.Valid(m.Data) {
		return ErrInvalidText
	}
	if s.sh != nil {
		return s.sendShared(ctx, m)
	}
	var w chan struct{}
	var t *ticket // queued for the Handler's budget while it is spent
	defer func() { s.h.budget.cancel(t) }()
	for {
		s.mu.Lock()
		s.sig.Done(w)
		if s.ended != nil {
			err := s.endErrLocked()
			s.mu.Unlock()
			return err
		}
		var full <-chan struct{}
		if s.out.Len() == 0 || s.out.Bytes()+len(m.Data) <= s.h.opts.MaxBufferedBytes {
			if s.reserveLocked(len(m.Data), &t) {
				s.out.Push(m.Binary, m.Data)
				s.signalLocked()
				s.mu.Unlock()
				return nil
			}
			full = t.ready
		} else if t != nil {
			// Another Send filled the session's buffer: no budget is held
			// for this one while it waits for the client.
			s.h.budget.cancel(t)
			t = nil
		}
		w = s.waitLocked()
		s.mu.Unlock()
		select {
		case <-w:
		case <-full:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Receive returns the next message from the client, in order; its Data is
// the caller's (see Message). After the
// session ends, messages already received are still returned, then the
// reason: ErrClosed (*CloseError), ErrExpired or ErrShutdown. It also returns
// ctx's error, and with Options.Shared ErrMoved once another node owns the
// session (it waits while the store is unavailable). With Options.Shared a
// message counts as taken once the application calls Receive again or
// Sends after it (the Send and the taking are one atomic step): when the
// owner node dies before, the node that takes over delivers it again. An
// application that answers each message gets each exactly once.
func (s *Session) Receive(ctx context.Context) (Message, error) {
	if s.sh != nil {
		return s.receiveShared(ctx)
	}
	var w chan struct{}
	for {
		s.mu.Lock()
		s.sig.Done(w)
		if len(s.inbox) > s.inboxHead {
			m := s.inbox[s.inboxHead]
			s.inbox[s.inboxHead] = Message{}
			if s.inboxHead++; s.inboxHead == len(s.inbox) {
				s.inbox, s.inboxHead = s.inbox[:0], 0 // empty: append reuses the array from its start
			}
			s.inboxBytes -= len(m.Data)
			s.refundLocked(len(m.Data))
			s.signalLocked()
			s.mu.Unlock()
			return m, nil
		}
		if s.ended != nil {
			err := s.endErrLocked()
			s.mu.Unlock()
			return Message{}, err
		}
		w = s.waitLocked()
		s.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return Message{}, ctx.Err()
		}
	}
}

// Close ends the session with a WebSocket-style code (1000 normal,
// 4000-4999 for applications) and a reason (at most 123 bytes are kept).
// Messages already sent are delivered before the close when the client is
// connected. Closing an ended session does nothing.
func (s *Session) Close(code int, reason string) error {
	if code < wire.MinCloseCode || code > wire.MaxCloseCode {
		code = wire.CloseNormal
	}
	if len(reason) > 123 {
		reason = reason[:123]
		for !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	s.mu.Lock()
	if s.ended != nil {
		s.mu.Unlock()
		return nil
	}
	s.closeFrame = &wire.Close{Code: code, Reason: reason}
	s.ended = &CloseError{Code: code, Reason: reason}
	s.h.opts.Logger.Info("session closed", "session", s.id, "code", code, "reason", reason, "by", "server")
	s.finishLocked(s.h.closeGrace())
	s.mu.Unlock()
	if s.sh != nil {
		s.endShared(CloseState{Code: code, Reason: reason})
	}
	return nil
}

// overFor reports whether a resume that has received everything up to ack
// is to be told that the session is gone (session_not_found): the server
// ended it with a "come back later" code (1001, 1002, 1011, 1012, 1013), after
// which a client resumes (PROTOCOL.md 12), and the client has every data
// frame sent before the close. Replaying the close would send the client
// round again, every backoff, until the close grace ends; told at once, it
// goes on with a new session. A resume that still lacks data gets it, and
// the close, first.
func (s *Session) overFor(ack uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.ended.(*CloseError)
	if !ok || e.ByClient || ack < s.outLastLocked() {
		return false
	}
	switch e.Code {
	case wire.CloseGoingAway, wire.CloseProtocol, wire.CloseInternal, 1012, 1013: // 1012 service restart, 1013 try again later
		return true
	}
	return false
}

// endErrLocked is the error Send and Receive return once the session ended.
func (s *Session) endErrLocked() error { return s.ended }

// signalLocked wakes every waiter, and the writer of the attached
// transport. A change nobody waits for costs nothing, and a steady wait
// loop allocates nothing (seq.Signal).
func (s *Session) signalLocked() {
	s.sig.Broadcast()
	if s.att != nil {
		s.att.kickWriter()
	}
}

// waitLocked returns a channel that receives a token on the next change.
// The waiter receives from it once, and gives it back with s.sig.Done
// under s.mu (at the top of its next turn): a loop then holds one channel
// and makes none; one that returns without giving it back loses it at the
// next change.
func (s *Session) waitLocked() chan struct{} {
	return s.sig.Wait()
}

// finishLocked marks the session ended: waiters wake, the application's
// context is canceled, and the session stays findable for grace (so a client
// can still collect the close frame) before it is removed.
func (s *Session) finishLocked(grace time.Duration) {
	s.signalLocked()
	s.cancel()
	if s.expiry != nil {
		s.expiry.Stop()
	}
	s.expiry = time.AfterFunc(grace, s.remove)
}

// remove drops the session from the store, returns its bytes to the
// budget and its place to its address's admission.
func (s *Session) remove() {
	s.h.opts.Store.Remove(s.id, s)
	s.mu.Lock()
	if s.att != nil {
		s.att.stop("session ended")
		s.att = nil
	}
	if s.sh != nil {
		s.sh.gone = true // a late sync charges nothing more
		s.h.budget.cancel(s.sh.ticket)
		s.sh.ticket = nil
	}
	s.refundLocked(int(s.held))
	s.signalLocked()
	s.mu.Unlock()
	if s.sh != nil {
		s.sh.stop()
	}
	s.removeOnce.Do(func() {
		if s.admitted {
			s.h.admission.leave(s.addr)
		}
	})
}

// expire ends a session whose client did not come back within the TTL.
func (s *Session) expire() {
	if s.sh != nil {
		s.expireShared()
		return
	}
	s.mu.Lock()
	if s.att != nil && s.att.persistent {
		s.mu.Unlock()
		return // a live connection came back in the meantime
	}
	if s.ended == nil {
		s.ended = ErrExpired
		s.h.opts.Logger.Info("session expired", "session", s.id)
	}
	s.signalLocked()
	s.cancel()
	s.mu.Unlock()
	s.remove()
}

// expired reports a session past its TTL that is still being removed from
// the store: to a request it is as gone as one already removed (its serve
// function has seen ErrExpired).
func (s *Session) expired() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended == ErrExpired
}

// armExpiryLocked (re)starts the TTL countdown.
func (s *Session) armExpiryLocked() {
	if s.ended != nil {
		return
	}
	if s.expiry != nil {
		s.expiry.Stop()
	}
	ttl := s.h.opts.SessionTTL
	if !s.established.Load() {
		ttl = s.h.opts.NewSessionTTL
	}
	s.expiry = time.AfterFunc(ttl, s.expire)
}
