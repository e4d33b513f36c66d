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

// maxAttempts bounds the attempt ids remembered of each kind (the
// sessions attaches created, and the tombstones of cancels that came
// first); the oldest of a kind go first. The two are bounded apart so that
// a flood of cancels with made-up ids (a hostile client: any well-formed id
// is accepted) can evict only tombstones, never the record of a session a
// real client may still cancel; new sessions, and so their records, are
// bounded by the Handler's admission.
const maxAttempts = 1 << 14

// attempts maps the attempt ids of new-session attaches to the sessions
// they created (live), and remembers the ids cancelled (tombs): before the
// attach arrived, so that it ends at once, or after, so that an id used
// again is refused.
type attempts struct {
	mu          sync.Mutex
	live, tombs attemptSet
}

// attemptSet is one kind of remembered ids, in arrival order.
type attemptSet struct {
	m     map[string]attemptRec
	order []attemptEntry // by time, oldest first
}

// attemptRec is an id's session (nil in tombs) and when it was added: an
// order entry forgets its id only if the id was not added again since.
type attemptRec struct {
	s  *Session
	at time.Time
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

// expire forgets entries older than attemptTTL, and the oldest beyond
// maxAttempts - 1 (room for the one about to be added). An entry whose id
// left the set (cancel moves a live id to tombs), or was added again
// since, forgets nothing.
func (e *attemptSet) expire(now time.Time) {
	i := 0
	for ; i < len(e.order); i++ {
		o := e.order[i]
		if now.Sub(o.at) < attemptTTL && len(e.order)-i < maxAttempts {
			break
		}
		if r, ok := e.m[o.id]; ok && r.at.Equal(o.at) {
			delete(e.m, o.id)
		}
	}
	e.order = e.order[i:]
}

func (e *attemptSet) add(id string, s *Session, now time.Time) {
	if e.m == nil {
		e.m = map[string]attemptRec{}
	}
	e.m[id] = attemptRec{s, now}
	e.order = append(e.order, attemptEntry{id, now})
}

// count is the number of ids held.
func (e *attemptSet) count() int { return len(e.m) }

func (a *attempts) expireLocked(now time.Time) {
	a.live.expire(now)
	a.tombs.expire(now)
}

// register records that attempt id created s. It returns false when the
// client cancelled id before its attach arrived: s is to be closed at once.
func (a *attempts) register(id string, s *Session, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expireLocked(now)
	_, live := a.live.m[id]
	_, tomb := a.tombs.m[id]
	if live || tomb {
		// A tombstone (cancelled first), or an id used twice: the client
		// gave this attempt up, or is not following the protocol.
		return false
	}
	a.live.add(id, s, now)
	return true
}

// cancel returns the session attempt id created, if any, and forgets it;
// the id is remembered as cancelled either way.
func (a *attempts) cancel(id string, now time.Time) *Session {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expireLocked(now)
	s := a.live.m[id].s
	if s != nil {
		// Its order entry stays behind and is skipped when it expires:
		// deleting a gone id is a no-op, and the set's bound only
		// loosens while it waits there.
		delete(a.live.m, id)
	}
	if _, tomb := a.tombs.m[id]; !tomb {
		a.tombs.add(id, nil, now)
	}
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
