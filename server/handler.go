package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// Handler is the http.Handler of a Tether endpoint: one URL that serves
// sessions over WebSocket, SSE and long-polling (PROTOCOL.md).
type Handler struct {
	opts      Options
	serve     func(*Session)
	budget    *budget
	admission *admission
	now       func() time.Time // time.Now; tests may replace it

	polls    atomic.Int64 // long-polls held now
	wg       sync.WaitGroup
	shutdown atomic.Bool
	mirrorMu sync.Mutex // with Options.Shared: one request makes a session's mirror
	attempts attempts   // new-session attempt ids (attempts.go)
}

// NewHandler returns a Handler that calls serve, in a goroutine of its own,
// for every new session. When serve returns, the session is closed (1000)
// unless it was already. serve typically loops on Session.Receive; this
// reads like a net.Conn loop and gives natural backpressure (a slow reader
// slows its client down instead of growing a queue).
func NewHandler(serve func(*Session), opts *Options) *Handler {
	o := opts.withDefaults()
	return &Handler{opts: o, serve: serve, budget: newBudget(o.MaxTotalBufferedBytes),
		admission: newAdmission(&o), now: time.Now}
}

// Sessions returns the number of live sessions (with Options.Shared: the
// sessions this node holds a copy of).
func (h *Handler) Sessions() int { return h.opts.Store.Len() }

// Shutdown closes every session with 1001 (going away), refuses new ones,
// and waits for the serve functions to return or ctx to end.
//
// With Options.Shared it hands the sessions over instead: it releases their
// leases and closes their connections with 1001, which clients treat as
// "reconnect"; another node resumes them, nothing lost. The serve functions
// here see ErrShutdown.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.shutdown.Store(true)
	if h.opts.Shared != nil {
		h.shutdownShared()
	}
	for _, s := range h.opts.Store.All() {
		s.Close(wire.CloseGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// closeGrace is how long an ended session stays findable, so that a client
// whose connection broke can still collect the close frame.
func (h *Handler) closeGrace() time.Duration { return min(h.opts.SessionTTL, 10*time.Second) }

// ServeHTTP dispatches on the request kind: a WebSocket upgrade, or the
// tether query parameter (sse, poll-open, poll, send). A WebSocket request
// returns once the connection is upgraded and welcomed (the session's reader
// and writer run on goroutines of their own), so middleware around the
// Handler sees it end then; an event stream or a held poll returns when it
// ends.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.checkHost(w, r) || !h.checkOrigin(w, r) {
		return
	}
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent) // CORS preflight, headers set by checkOrigin
		return
	}
	if h.shutdown.Load() {
		h.failStatus(w, wire.CodeInternal, http.StatusServiceUnavailable, "the server is shutting down", time.Second)
		return
	}
	if isWebSocket(r) {
		h.serveWebSocket(w, r)
		return
	}
	mode := r.URL.Query().Get(wire.ParamMode)
	if mode == "" {
		h.fail(w, wire.CodeBadRequest, "not a Tether request: expected a WebSocket upgrade with subprotocol tether.v1, or the tether query parameter (see PROTOCOL.md)", 0)
		return
	}
	switch v := r.URL.Query().Get(wire.ParamVersion); v {
	case strconv.Itoa(wire.Version):
	case "":
		h.fail(w, wire.CodeBadRequest, "missing "+wire.ParamVersion+" (the protocol version, "+strconv.Itoa(wire.Version)+")", 0)
		return
	default:
		h.failVersion(w)
		return
	}
	switch mode {
	case wire.ModeSSE:
		h.serveSSE(w, r)
	case wire.ModePollOpen:
		h.servePollOpen(w, r)
	case wire.ModePoll:
		h.servePoll(w, r)
	case wire.ModeSend:
		h.serveSend(w, r)
	case wire.ModeCancel:
		h.serveCancel(w, r)
	default:
		h.fail(w, wire.CodeBadRequest, "unknown tether mode "+strconv.Quote(mode), 0)
	}
}

func (h *Handler) enabled(transport string) bool {
	return slices.Contains(h.opts.Transports, transport)
}

// authenticate runs Options.Authenticate; on refusal it answers 401.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (any, bool) {
	if h.opts.Authenticate == nil {
		return nil, true
	}
	v, err := h.opts.Authenticate(r)
	if err != nil {
		h.opts.Logger.Info("authentication refused", "remote", r.RemoteAddr, "error", err)
		h.fail(w, wire.CodeUnauthorized, "authentication refused", 0)
		return nil, false
	}
	return v, true
}

// newSession creates, stores and starts a session. When the client's
// address is over its admission bounds or the store is full it returns nil
// and how long the client should wait.
func (h *Handler) newSession(r *http.Request, auth any) (*Session, time.Duration) {
	ip := h.clientAddr(r)
	key := addrKey(ip)
	if ok, wait := h.admission.admit(key, h.now()); !ok {
		h.opts.Logger.Warn("session refused: address over its bounds", "client", ip, "remote", r.RemoteAddr)
		return nil, max(wait, time.Second)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Session{
		h: h, id: randomToken(), key: randomToken(), auth: auth, ctx: ctx, cancel: cancel,
		addr: key, sendSlot: make(chan struct{}, 1),
		remote: RemoteInfo{Addr: r.RemoteAddr, IP: ip, Header: keptHeaders(r.Header, h.opts.MaxHeaderBytes),
			UserAgent: clip(r.UserAgent(), 512)},
	}
	if h.opts.Shared != nil {
		if err := h.createShared(s); err != nil {
			cancel()
			h.admission.leave(key)
			h.opts.Logger.Warn("session refused: the shared store failed", "client", ip, "error", err)
			return nil, time.Second
		}
	}
	if !h.opts.Store.Add(s, h.opts.MaxSessions) {
		if s.sh != nil {
			s.drop(ErrShutdown)
			ctx, cancel := storeCtx(context.Background())
			h.opts.Shared.Delete(ctx, s.id)
			cancel()
		}
		cancel()
		h.admission.leave(key)
		h.opts.Logger.Warn("session refused: MaxSessions reached", "client", ip)
		return nil, 5 * time.Second
	}
	s.admitted = true
	h.opts.Logger.Info("session started", "session", s.id, "remote", r.RemoteAddr, "client", ip)
	defer h.noteAttempt(r, s)
	if s.sh != nil {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			s.pump()
		}()
	}
	h.runServe(s)
	return s, 0
}

// runServe runs the application's serve function for s. When it returns,
// the session is closed (1000) unless it ended already.
func (h *Handler) runServe(s *Session) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer s.Close(wire.CloseNormal, "")
		h.serve(s)
	}()
}

// lookup finds the session sid whose key matches, in constant time. Unknown,
// expired and wrong-key sessions are indistinguishable to the client.
func (h *Handler) lookup(sid, key string) *Session {
	if sid == "" || key == "" {
		return nil
	}
	s := h.opts.Store.Get(sid)
	if s == nil || subtle.ConstantTimeCompare([]byte(s.key), []byte(key)) != 1 || s.expired() {
		return nil
	}
	s.claimed.Store(true) // the client has the welcome: its attempt is no longer cancellable
	return s
}

// requestKey returns the resume key from the header, or the query where a
// browser cannot set headers.
func requestKey(r *http.Request) string {
	if k := r.Header.Get(wire.HeaderKey); k != "" {
		return k
	}
	return r.URL.Query().Get(wire.ParamKey)
}

// randomToken returns 128 random bits, base64url without padding.
func randomToken() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics on failure since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
