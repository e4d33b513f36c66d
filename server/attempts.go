package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// attemptTTL is how long the server remembers a new-session attempt id
// (PROTOCOL.md 4.8): the session it created, or that it was cancelled before
// it arrived. A client cancels within its first-event window (3 s).
const attemptTTL = time.Minute

// maxAttempts bounds the attempt ids remembered; the oldest go first.
const maxAttempts = 1 << 14

// attempts maps the attempt ids of new-session attaches to the sessions
// they created (nil: cancelled before the attach arrived, a tombstone).
type attempts struct {
	mu    sync.Mutex
	m     map[string]*Session
	order []attemptEntry // by time, oldest first
}

type attemptEntry struct {
	id string
	at time.Time
}

// validAttempt reports an attempt id of 16 to 64 base64url characters.
func validAttempt(id string) bool {
	if len(id) < 16 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// expireLocked forgets entries older than attemptTTL, and the oldest beyond
// maxAttempts - 1 (room for the one about to be added).
func (a *attempts) expireLocked(now time.Time) {
	i := 0
	for ; i < len(a.order); i++ {
		if now.Sub(a.order[i].at) < attemptTTL && len(a.order)-i < maxAttempts {
			break
		}
		delete(a.m, a.order[i].id)
	}
	a.order = a.order[i:]
}

// register records that attempt id created s. It returns false when the
// client cancelled id before its attach arrived: s is to be closed at once.
func (a *attempts) register(id string, s *Session, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expireLocked(now)
	if a.m == nil {
		a.m = map[string]*Session{}
	}
	if _, seen := a.m[id]; seen {
		// A tombstone (cancelled first), or an id used twice: the client
		// gave this attempt up, or is not following the protocol.
		return false
	}
	a.m[id] = s
	a.order = append(a.order, attemptEntry{id, now})
	return true
}

// cancel returns the session attempt id created, if any, and forgets it;
// an id not seen yet is remembered as cancelled.
func (a *attempts) cancel(id string, now time.Time) *Session {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expireLocked(now)
	if a.m == nil {
		a.m = map[string]*Session{}
	}
	s, seen := a.m[id]
	if !seen {
		a.order = append(a.order, attemptEntry{id, now})
	}
	a.m[id] = nil
	return s
}

// attemptOf returns the request's attempt id, "" when it has none or a
// malformed one (ignored: the attempt just cannot be cancelled).
func attemptOf(r *http.Request) string {
	if id := r.URL.Query().Get(wire.ParamAttempt); validAttempt(id) {
		return id
	}
	return ""
}

// noteAttempt records the attempt that created s; when the client already
// cancelled it, s ends at once.
func (h *Handler) noteAttempt(r *http.Request, s *Session) {
	id := attemptOf(r)
	if id == "" {
		return
	}
	if !h.attempts.register(id, s, h.now()) {
		h.opts.Logger.Info("session ended: its attempt was cancelled before it arrived", "session", s.id)
		s.Close(wire.CloseNormal, "the client cancelled this attempt")
	}
}

// serveCancel answers POST ?tether=cancel&tether_attempt=A (PROTOCOL.md
// 4.8): the session attempt A created ends at once unless the client
// claimed it (a request with its key came). The answer is 204 whether or not
// there was such a session.
func (h *Handler) serveCancel(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		h.fail(w, wire.CodeBadRequest, "cancel is a POST", 0)
		return
	}
	id := r.URL.Query().Get(wire.ParamAttempt)
	if !validAttempt(id) {
		h.fail(w, wire.CodeBadRequest, "missing or malformed "+wire.ParamAttempt+" (16 to 64 base64url characters)", 0)
		return
	}
	if s := h.attempts.cancel(id, h.now()); s != nil && !s.claimed.Load() {
		h.opts.Logger.Info("session ended: the client cancelled its attempt", "session", s.id)
		s.Close(wire.CloseNormal, "the client cancelled this attempt")
	}
	w.WriteHeader(http.StatusNoContent)
}
