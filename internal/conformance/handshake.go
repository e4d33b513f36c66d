package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/tether-sdk/tether/internal/wire"
)

// discoverCheck finds a transport that answers a welcome and keeps the
// welcome: its transports list decides which checks run.
func discoverCheck() *Check {
	return &Check{ID: "discover", Section: "5.2", Level: Must,
		Title: "some transport answers a new session with a valid welcome",
		run: func(ctx context.Context, e *env) error {
			var errs []string
			if w, err := e.newWSSession(ctx); err == nil {
				e.welcome = w.welcome
				w.ws.close()
				return nil
			} else {
				errs = append(errs, "websocket: "+err.Error())
			}
			if s, err := e.pollOpen(ctx); err == nil {
				e.welcome = s.welcome
				return nil
			} else {
				errs = append(errs, "poll-open: "+err.Error())
			}
			st, a, err := e.openSSE(ctx, params{wire.ParamMode: wire.ModeSSE, wire.ParamVersion: "1"}, nil)
			switch {
			case err != nil:
				errs = append(errs, "sse: "+err.Error())
			case a != nil:
				errs = append(errs, "sse: "+a.String())
			default:
				defer st.close()
				w, err := st.welcome(ctx)
				if err == nil {
					if err = checkWelcome(w, true, false); err == nil {
						e.welcome = w
						return nil
					}
				}
				errs = append(errs, "sse: "+err.Error())
			}
			return errors.New("no transport answered a welcome: " + strings.Join(errs, "; "))
		}}
}

// checkWelcome checks the fields of a welcome (5.2, 4.1): new sessions
// carry a key, resumed ones do not.
func checkWelcome(w *wire.Welcome, isNew, probe bool) error {
	switch {
	case w.V != wire.Version:
		return fmt.Errorf("welcome v is %d, not %d", w.V, wire.Version)
	case !validToken(w.SID):
		return fmt.Errorf("welcome sid %q is not 22 to 128 base64url characters (at least 128 random bits, 4.1)", w.SID)
	case w.Resumed == isNew:
		return fmt.Errorf("welcome resumed is %v for a %s session (4.5)", w.Resumed, map[bool]string{true: "new", false: "resumed"}[isNew])
	case isNew && !validToken(w.Key):
		return fmt.Errorf("the welcome of a new session has key %q, not 22 to 128 base64url characters (4.1)", w.Key)
	case !isNew && w.Key != "":
		return errors.New("the welcome of a resume carries the key; only a new session's welcome may (4.1)")
	case w.Probe != probe:
		return fmt.Errorf("welcome probe is %v, expected %v (10)", w.Probe, probe)
	case isNew && w.Ack != 0:
		return fmt.Errorf("the welcome of a new session has ack %d, not 0 (4.5)", w.Ack)
	case w.HB <= 0 || w.Timeout <= 0 || w.TTL <= 0 || w.Max <= 0 || w.Poll <= 0:
		return fmt.Errorf("welcome hb %d, timeout %d, ttl %d, max %d, poll %d: each must be positive", w.HB, w.Timeout, w.TTL, w.Max, w.Poll)
	}
	known := 0
	for _, t := range w.Transports {
		if t == wire.TransportWebSocket || t == wire.TransportSSE || t == wire.TransportPoll {
			known++
		}
	}
	if known == 0 {
		return fmt.Errorf("welcome transports %q lists no known transport", w.Transports)
	}
	return nil
}

// validToken: 1-128 base64url characters (4.1), and at least 22 of them,
// the length of 128 bits.
func validToken(s string) bool {
	if len(s) < 22 || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// wsSession is a session started over WebSocket.
type wsSession struct {
	session
	ws *wsConn
}

// newWSSession dials, says hello and checks the welcome of a new session.
func (e *env) newWSSession(ctx context.Context) (*wsSession, error) {
	return e.newWSSessionWith(ctx, `h{"v":1}`)
}

// newWSSessionWith starts a session with the hello text given.
func (e *env) newWSSessionWith(ctx context.Context, hello string) (*wsSession, error) {
	type opened struct {
		ws *wsConn
		w  *wire.Welcome
	}
	o, err := admitted(ctx, func() (opened, error) {
		ws, err := e.dialWS(ctx)
		if err != nil {
			return opened{}, err
		}
		w, err := ws.helloText(ctx, hello)
		if err != nil {
			ws.close()
		}
		return opened{ws, w}, err
	})
	if err != nil {
		return nil, err
	}
	ws, w := o.ws, o.w
	if err := checkWelcome(w, true, false); err != nil {
		ws.close()
		return nil, err
	}
	return &wsSession{session: session{sid: w.SID, key: w.Key, welcome: w}, ws: ws}, nil
}

// resumeWS dials and resumes s with ack; the welcome is checked as a
// resume's.
func (e *env) resumeWS(ctx context.Context, s *session, ack uint64) (*wsConn, *wire.Welcome, error) {
	ws, err := e.dialWS(ctx)
	if err != nil {
		return nil, nil, err
	}
	w, err := ws.hello(ctx, wire.Hello{SID: s.sid, Key: s.key, Ack: ack})
	if err != nil {
		ws.close()
		return nil, nil, fmt.Errorf("resume: %w", err)
	}
	if err := checkWelcome(w, false, false); err != nil {
		ws.close()
		return nil, nil, fmt.Errorf("resume: %w", err)
	}
	if w.SID != s.sid {
		ws.close()
		return nil, nil, fmt.Errorf("resume: the welcome names session %q, not %q", w.SID, s.sid)
	}
	return ws, w, nil
}

func handshakeChecks() []*Check {
	return []*Check{
		{ID: "ws.handshake", Section: "2, 4.1, 5.2, 7.1", Level: Must, need: needWS,
			Title: "a WebSocket offering tether.v1 is upgraded with tether.v1; hello {\"v\":1} gets a new session's welcome",
			run: func(ctx context.Context, e *env) error {
				a, err := e.newWSSession(ctx)
				if err != nil {
					return err
				}
				defer a.ws.close()
				if !slices.Contains(a.welcome.Transports, wire.TransportWebSocket) {
					return fmt.Errorf("a welcome sent over WebSocket does not list websocket in transports %q", a.welcome.Transports)
				}
				b, err := e.newWSSession(ctx)
				if err != nil {
					return fmt.Errorf("a second session: %w", err)
				}
				defer b.ws.close()
				if a.sid == b.sid || a.key == b.key {
					return fmt.Errorf("two new sessions got the same sid or key (%s, %s)", a.sid, b.sid)
				}
				return nil
			}},
		{ID: "ws.no-subprotocol", Section: "2, 13", Level: Must, need: needWS,
			Title: "an upgrade that does not offer tether.v1 is answered 400 unsupported_version (with versions), not upgraded",
			run: func(ctx context.Context, e *env) error {
				dctx, cancel := context.WithTimeout(ctx, e.patience)
				defer cancel()
				c, resp, err := e.cfg.DialWebSocket(dctx, nil, nil)
				if err == nil {
					c.Close()
					return fmt.Errorf("the server upgraded a WebSocket that did not offer %s (selected %q)", wire.Subprotocol, c.Subprotocol())
				}
				if resp == nil {
					return fmt.Errorf("no HTTP answer: %w", err)
				}
				return answerOf(resp).wantErrorErr(wire.CodeUnsupportedVersion)
			}},
		{ID: "ws.hello-version", Section: "2, 13", Level: Must, need: needWS,
			Title: "a hello with a version the server does not speak gets e unsupported_version with versions, then close 4400",
			run: func(ctx context.Context, e *env) error {
				ws, err := e.dialWS(ctx)
				if err != nil {
					return err
				}
				defer ws.close()
				if err := ws.sendText(`h{"v":2}`); err != nil {
					return err
				}
				return ws.expectError(ctx, wire.CodeUnsupportedVersion)
			}},
		{ID: "ws.first-frame", Section: "5, 7.1", Level: Must, need: needWS,
			Title: "a first message that is not a hello gets e bad_request and close 4400",
			run: func(ctx context.Context, e *env) error {
				ws, err := e.dialWS(ctx)
				if err != nil {
					return err
				}
				defer ws.close()
				if err := ws.sendText("m1 hello"); err != nil {
					return err
				}
				return ws.expectError(ctx, wire.CodeBadRequest)
			}},
		{ID: "ws.second-hello", Section: "5, 7.1", Level: Must, need: needWS,
			Title: "a second hello on the same WebSocket gets e bad_request and close 4400",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newWSSession(ctx)
				if err != nil {
					return err
				}
				defer s.ws.close()
				if err := s.ws.sendText(`h{"v":1}`); err != nil {
					return err
				}
				return s.ws.expectError(ctx, wire.CodeBadRequest)
			}},
		{ID: "unknown-fields", Section: "2", Level: Must,
			Title: "unknown fields in a hello and unknown tether_* query parameters are ignored",
			run: func(ctx context.Context, e *env) error {
				if e.offers(wire.TransportWebSocket) {
					s, err := e.newWSSessionWith(ctx, `h{"v":1,"future":{"x":[1,2]}}`)
					if err != nil {
						return fmt.Errorf("hello with an unknown field: %w", err)
					}
					s.ws.close()
				}
				if e.offers(wire.TransportPoll) {
					a, err := admitted(ctx, func() (*answer, error) {
						a, err := e.do(ctx, http.MethodGet, params{wire.ParamMode: wire.ModePollOpen, wire.ParamVersion: "1", "tether_future": "1"}, nil, nil, 0)
						if err == nil {
							err = httpRefusal(a)
						}
						return a, err
					})
					if err != nil {
						return err
					}
					if _, err := a.welcome(); err != nil {
						return fmt.Errorf("poll-open with tether_future=1: %w", err)
					}
				}
				return nil
			}},
		{ID: "sse.handshake", Section: "6.4, 8.1", Level: Must, need: needSSE,
			Title: "?tether=sse answers 200 text/event-stream with no-cache and X-Accel-Buffering: no, and the welcome event at once",
			run: func(ctx context.Context, e *env) error {
				_, err := e.newSSESession(ctx, nil)
				return err
			}},
		{ID: "sse.no-accept", Section: "3, 8.1", Level: Must, need: needSSE,
			Title: "an SSE attach without Accept: text/event-stream is served all the same",
			run: func(ctx context.Context, e *env) error {
				_, err := e.newSSESession(ctx, http.Header{})
				return err
			}},
		{ID: "poll.handshake", Section: "9.1", Level: Must, need: needPoll,
			Title: "?tether=poll-open answers 200 application/json, no-store, exactly [[\"w\",{...}]] of a new session",
			run: func(ctx context.Context, e *env) error {
				_, err := e.pollOpen(ctx)
				return err
			}},
		{ID: "transport-disabled", Section: "13", Level: Must,
			Title: "a transport the welcome does not offer is refused with 404 transport_disabled",
			run: func(ctx context.Context, e *env) error {
				var off []string
				for _, t := range []string{wire.TransportWebSocket, wire.TransportSSE, wire.TransportPoll} {
					if !e.offers(t) {
						off = append(off, t)
					}
				}
				if len(off) == 0 {
					return skipf("the server offers every transport")
				}
				for _, t := range off {
					if err := e.checkDisabled(ctx, t); err != nil {
						return fmt.Errorf("%s (not offered): %w", t, err)
					}
				}
				return nil
			}},
	}
}

// checkDisabled expects transport t to be refused with transport_disabled.
func (e *env) checkDisabled(ctx context.Context, t string) error {
	switch t {
	case wire.TransportWebSocket:
		dctx, cancel := context.WithTimeout(ctx, e.patience)
		defer cancel()
		c, resp, err := e.cfg.DialWebSocket(dctx, nil, []string{wire.Subprotocol})
		if err != nil {
			if resp == nil {
				return fmt.Errorf("no HTTP answer: %w", err)
			}
			return answerOf(resp).wantErrorErr(wire.CodeTransportDisabled)
		}
		ws := &wsConn{e: e, c: c, msgs: make(chan wsMsg, 64), done: make(chan struct{})}
		go ws.readLoop()
		defer func() { close(ws.done); c.Close() }()
		if err := ws.sendText(`h{"v":1}`); err != nil {
			return err
		}
		return ws.expectError(ctx, wire.CodeTransportDisabled) // allowed after an upgrade, though 13 prefers HTTP
	case wire.TransportSSE:
		_, a, err := e.openSSE(ctx, params{wire.ParamMode: wire.ModeSSE, wire.ParamVersion: "1"}, nil)
		if err != nil {
			return err
		}
		if a == nil {
			return errors.New("the server answered 200 and opened a stream")
		}
		return a.wantErrorErr(wire.CodeTransportDisabled)
	default:
		return e.refused(ctx, http.MethodGet, params{wire.ParamMode: wire.ModePollOpen, wire.ParamVersion: "1"}, nil, nil, wire.CodeTransportDisabled)
	}
}

// answerOf reads a refused upgrade's answer.
func answerOf(r *http.Response) *answer {
	var b []byte
	if r.Body != nil {
		b, _ = readAll(r.Body)
		r.Body.Close()
	}
	return &answer{resp: r, body: b}
}

func (a *answer) wantErrorErr(code string) error {
	_, err := a.wantError(code)
	return err
}

// newSSESession opens an SSE stream for a new session and checks its
// headers and welcome. h nil sends Accept: text/event-stream.
func (e *env) newSSESession(ctx context.Context, h http.Header) (*sseSession, error) {
	type opened struct {
		st *sseStream
		a  *answer
	}
	o, err := admitted(ctx, func() (opened, error) {
		st, a, err := e.openSSE(ctx, params{wire.ParamMode: wire.ModeSSE, wire.ParamVersion: "1"}, h)
		if err == nil && a != nil {
			err = httpRefusal(a)
		}
		return opened{st, a}, err
	})
	if err != nil {
		return nil, err
	}
	st, a := o.st, o.a
	if a != nil {
		return nil, fmt.Errorf("expected 200 text/event-stream, got %s", a)
	}
	if err := checkSSEHeaders(st.resp); err != nil {
		st.close()
		return nil, err
	}
	w, err := st.welcome(ctx)
	if err == nil {
		err = checkWelcome(w, true, false)
	}
	if err != nil {
		st.close()
		return nil, err
	}
	return &sseSession{session: session{sid: w.SID, key: w.Key, welcome: w}, st: st}, nil
}

// sseSession is a session attached by SSE.
type sseSession struct {
	session
	st *sseStream
}
