package conformance

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/tether-sdk/tether/internal/wire"
)

// randomToken is a sid or key no server has handed out.
func randomToken() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// wsWithEchoes starts a WebSocket session, sends m1 and m2, and waits
// until the server has received both and (with an echoing endpoint) sent
// both back. Nothing is acknowledged, so the server keeps its two frames.
func (e *env) wsWithEchoes(ctx context.Context) (*wsSession, error) {
	s, err := e.newWSSession(ctx)
	if err != nil {
		return nil, err
	}
	for _, f := range []wire.Frame{text(1, "one"), text(2, "two")} {
		if err := s.ws.send(f); err != nil {
			return nil, err
		}
	}
	if !e.cfg.NoEcho {
		if _, err := s.ws.collect(ctx, 2); err != nil {
			return nil, err
		}
	}
	ack, _, err := s.ws.ping(ctx, 0)
	if err != nil {
		return nil, err
	}
	if ack != 2 {
		return nil, fmt.Errorf("after m1 m2, p0 was answered q%d, not q2", ack)
	}
	return s, nil
}

// sseWithEchoes starts an SSE session, sends m1 and m2, and reads the two
// echoes.
func (e *env) sseWithEchoes(ctx context.Context) (*sseSession, error) {
	s, err := e.newSSESession(ctx, nil)
	if err != nil {
		return nil, err
	}
	if _, err := e.send(ctx, &s.session, text(1, "one"), text(2, "two")); err != nil {
		s.st.close()
		return nil, err
	}
	got, err := s.st.data(ctx, 2)
	if err != nil {
		s.st.close()
		return nil, err
	}
	if err := wantData(got, 1, "one", "two"); err != nil {
		s.st.close()
		return nil, err
	}
	return s, nil
}

// data reads n data events, skipping acks; each must carry id: <seq>.
func (st *sseStream) data(ctx context.Context, n int) ([]wire.Frame, error) {
	var got []wire.Frame
	for len(got) < n {
		ev, err := st.next(ctx, st.e.patience, false)
		if err != nil {
			return got, fmt.Errorf("waiting for data event %d of %d (the data checks need an echoing endpoint; see --no-echo): %w", len(got)+1, n, err)
		}
		switch ev.frame.Kind {
		case wire.KindAck:
		case wire.KindText, wire.KindBinary:
			if !ev.hasID || ev.id != strconv.FormatUint(ev.frame.Seq, 10) {
				return got, fmt.Errorf("data event %s has id %q (6.4: id: <seq>)", shorten(ev.raw), ev.id)
			}
			got = append(got, ev.frame)
		default:
			return got, fmt.Errorf("waiting for data, got the event %s", shorten(ev.raw))
		}
	}
	return got, nil
}

// resumeSSE opens an SSE stream resuming s with ack and checks headers
// and welcome. h carries the key (or the key goes in the query when h has
// no Tether-Key).
func (e *env) resumeSSE(ctx context.Context, s *session, ack uint64, h http.Header, keyInQuery bool) (*sseStream, *wire.Welcome, error) {
	p := s.params(wire.ModeSSE, wire.ParamAck, strconv.FormatUint(ack, 10))
	if keyInQuery {
		p[wire.ParamKey] = s.key
	}
	st, a, err := e.openSSE(ctx, p, h)
	if err != nil {
		return nil, nil, err
	}
	if a != nil {
		return nil, nil, fmt.Errorf("SSE resume: expected 200, got %s", a)
	}
	if err := checkSSEHeaders(st.resp); err != nil {
		st.close()
		return nil, nil, err
	}
	w, err := st.welcome(ctx)
	if err == nil {
		err = checkWelcome(w, false, false)
	}
	if err != nil {
		st.close()
		return nil, nil, fmt.Errorf("SSE resume: %w", err)
	}
	return st, w, nil
}

// pollResume resumes s by poll-open with ack.
func (e *env) pollResume(ctx context.Context, s *session, ack uint64) (*wire.Welcome, error) {
	a, err := e.do(ctx, http.MethodGet, s.params(wire.ModePollOpen, wire.ParamAck, strconv.FormatUint(ack, 10)), keyHeader(s.key), nil, 0)
	if err != nil {
		return nil, err
	}
	w, err := a.welcome()
	if err == nil {
		err = checkWelcome(w, false, false)
	}
	if err != nil {
		return nil, fmt.Errorf("poll-open resume: %w", err)
	}
	return w, nil
}

func sseKeyHeader(key string) http.Header {
	return http.Header{"Accept": {"text/event-stream"}, wire.HeaderKey: {key}}
}

func resumeChecks() []*Check {
	return []*Check{
		{ID: "ws.resume", Section: "4.5, 7.2", Level: Must, need: needWS,
			Title: "a resume gets welcome resumed:true, no key, ack = server's recv, then every frame above the client's ack, in order",
			run: func(ctx context.Context, e *env) error {
				s, err := e.wsWithEchoes(ctx)
				if err != nil {
					return err
				}
				s.ws.close()
				ws, w, err := e.resumeWS(ctx, &s.session, 0)
				if err != nil {
					return err
				}
				if w.Ack != 2 {
					ws.close()
					return fmt.Errorf("the resume welcome has ack %d; the server had received 2", w.Ack)
				}
				if !e.cfg.NoEcho {
					got, err := ws.collect(ctx, 2)
					if err == nil {
						err = wantData(got, 1, "one", "two")
					}
					if err != nil {
						ws.close()
						return fmt.Errorf("replay after a resume with ack 0: %w", err)
					}
				}
				ws.close()
				ws, _, err = e.resumeWS(ctx, &s.session, 2)
				if err != nil {
					return fmt.Errorf("second resume, ack 2: %w", err)
				}
				defer ws.close()
				if err := ws.send(text(3, "three")); err != nil {
					return err
				}
				if e.cfg.NoEcho {
					return nil
				}
				got, err := ws.collect(ctx, 1)
				if err == nil {
					err = wantData(got, 3, "three")
				}
				if err != nil {
					return fmt.Errorf("after a resume with ack 2 (nothing to replay) and m3: %w", err)
				}
				return nil
			}},
		{ID: "ws.session-not-found", Section: "4.1, 4.5, 7.2", Level: Must, need: needWS,
			Title: "a hello with an unknown sid, a wrong key or no key gets e session_not_found and close 4410",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newWSSession(ctx)
				if err != nil {
					return err
				}
				defer s.ws.close()
				cases := []struct{ name, hello string }{
					{"unknown sid", fmt.Sprintf(`h{"v":1,"sid":%q,"key":%q}`, randomToken(), randomToken())},
					{"wrong key", fmt.Sprintf(`h{"v":1,"sid":%q,"key":%q}`, s.sid, randomToken())},
					{"no key", fmt.Sprintf(`h{"v":1,"sid":%q}`, s.sid)},
				}
				for _, c := range cases {
					ws, err := e.dialWS(ctx)
					if err != nil {
						return err
					}
					err = ws.sendText(c.hello)
					if err == nil {
						err = ws.expectError(ctx, wire.CodeSessionNotFound)
					}
					ws.close()
					if err != nil {
						return fmt.Errorf("%s: %w", c.name, err)
					}
				}
				return nil
			}},
		{ID: "http.session-not-found", Section: "4.1, 4.5, 13", Level: Must, need: needFallback,
			Title: "HTTP requests with an unknown sid or a wrong key get 410 session_not_found",
			run: func(ctx context.Context, e *env) error {
				s, closeFn, err := e.fallbackSession(ctx)
				if err != nil {
					return err
				}
				defer closeFn()
				unknown := &session{sid: randomToken(), key: randomToken()}
				wrong := &session{sid: s.sid, key: randomToken()}
				type req struct {
					name string
					p    params
					h    http.Header
					body []byte
				}
				reqs := []req{
					{"send, unknown sid", unknown.params(wire.ModeSend), keyHeader(unknown.key), []byte(`[["a",0]]`)},
					{"send, wrong key", wrong.params(wire.ModeSend), keyHeader(wrong.key), []byte(`[["a",0]]`)},
					{"send, no key", wrong.params(wire.ModeSend), nil, []byte(`[["a",0]]`)},
				}
				if e.offers(wire.TransportPoll) {
					reqs = append(reqs,
						req{"poll-open, unknown sid", unknown.params(wire.ModePollOpen, wire.ParamAck, "0"), keyHeader(unknown.key), nil},
						req{"poll-open, wrong key", wrong.params(wire.ModePollOpen, wire.ParamAck, "0"), keyHeader(wrong.key), nil},
						req{"poll, wrong key", wrong.params(wire.ModePoll, wire.ParamAck, "0"), keyHeader(wrong.key), nil},
					)
				}
				for _, r := range reqs {
					method := http.MethodGet
					if r.body != nil {
						method = http.MethodPost
					}
					if err := e.refused(ctx, method, r.p, r.h, r.body, wire.CodeSessionNotFound); err != nil {
						return fmt.Errorf("%s: %w", r.name, err)
					}
				}
				if e.offers(wire.TransportSSE) {
					st, a, err := e.openSSE(ctx, wrong.params(wire.ModeSSE, wire.ParamAck, "0"), sseKeyHeader(wrong.key))
					if err != nil {
						return fmt.Errorf("sse, wrong key: %w", err)
					}
					if st != nil {
						st.close()
						return errors.New("sse, wrong key: the server opened a stream")
					}
					if err := a.wantErrorErr(wire.CodeSessionNotFound); err != nil {
						return fmt.Errorf("sse, wrong key: %w", err)
					}
				}
				return nil
			}},
		{ID: "http.key", Section: "3", Level: Must, need: needFallback,
			Title: "the key is accepted from the Tether-Key header and from the tether_key query parameter",
			run: func(ctx context.Context, e *env) error {
				s, closeFn, err := e.fallbackSession(ctx)
				if err != nil {
					return err
				}
				defer closeFn()
				if _, err := e.send(ctx, s, text(1, "header")); err != nil {
					return fmt.Errorf("key in Tether-Key: %w", err)
				}
				a, err := e.do(ctx, http.MethodPost, s.params(wire.ModeSend, wire.ParamKey, s.key), nil, []byte(`[["m",2,"query"]]`), 0)
				if err != nil {
					return err
				}
				frames, err := a.frames()
				if err != nil {
					return fmt.Errorf("key in tether_key: %w", err)
				}
				if len(frames) == 0 || frames[0].Kind != wire.KindAck || frames[0].Seq != 2 {
					return fmt.Errorf("key in tether_key: a send of m2 answered %v, not [\"a\",2] first", kinds(frames))
				}
				return nil
			}},
		{ID: "poll.resume", Section: "4.5, 9.1, 9.2", Level: Must, need: needPoll, echo: true,
			Title: "a poll-open resume (from WebSocket when offered) gets resumed:true and the server's recv; polls replay above the ack",
			run: func(ctx context.Context, e *env) error {
				var s *session
				if e.offers(wire.TransportWebSocket) {
					ws, err := e.wsWithEchoes(ctx)
					if err != nil {
						return err
					}
					ws.ws.close()
					s = &ws.session
				} else {
					var err error
					if s, err = e.pollOpen(ctx); err != nil {
						return err
					}
					if _, err := e.send(ctx, s, text(1, "one"), text(2, "two")); err != nil {
						return err
					}
					if _, err := e.pollData(ctx, s, 0, 2); err != nil {
						return err
					}
				}
				w, err := e.pollResume(ctx, s, 0)
				if err != nil {
					return err
				}
				if w.Ack != 2 {
					return fmt.Errorf("the poll-open resume welcome has ack %d; the server had received 2", w.Ack)
				}
				got, err := e.pollData(ctx, s, 0, 2)
				if err == nil {
					err = wantData(got, 1, "one", "two")
				}
				if err != nil {
					return fmt.Errorf("replay after a resume with ack 0: %w", err)
				}
				return nil
			}},
		{ID: "sse.resume", Section: "4.5, 8.3", Level: Must, need: needSSE, echo: true,
			Title: "an SSE resume with the key in tether_key gets resumed:true, then data events above tether_ack",
			run: func(ctx context.Context, e *env) error {
				s, err := e.sseWithEchoes(ctx)
				if err != nil {
					return err
				}
				s.st.close()
				st, w, err := e.resumeSSE(ctx, &s.session, 0, nil, true)
				if err != nil {
					return err
				}
				defer st.close()
				if w.Ack != 2 {
					return fmt.Errorf("the SSE resume welcome has ack %d; the server had received 2", w.Ack)
				}
				got, err := st.data(ctx, 2)
				if err == nil {
					err = wantData(got, 1, "one", "two")
				}
				if err != nil {
					return fmt.Errorf("replay after a resume with tether_ack=0: %w", err)
				}
				return nil
			}},
		{ID: "sse.last-event-id", Section: "8.4", Level: Must, need: needSSE, echo: true,
			Title: "on an SSE resume the larger of Last-Event-ID and tether_ack is the client's ack",
			run: func(ctx context.Context, e *env) error {
				s, err := e.sseWithEchoes(ctx)
				if err != nil {
					return err
				}
				s.st.close()
				h := sseKeyHeader(s.key)
				h.Set(wire.HeaderLastEventID, "2")
				st, _, err := e.resumeSSE(ctx, &s.session, 0, h, false)
				if err != nil {
					return err
				}
				defer st.close()
				if _, err := e.send(ctx, &s.session, text(3, "three")); err != nil {
					return err
				}
				got, err := st.data(ctx, 1)
				if err == nil {
					err = wantData(got, 3, "three")
				}
				if err != nil {
					return fmt.Errorf("resumed with tether_ack=0 and Last-Event-ID: 2, then sent m3: %w", err)
				}
				return nil
			}},
		{ID: "sse.last-event-id-no-sid", Section: "8.4", Level: Must, need: needSSE,
			Title: "an SSE request with Last-Event-ID but no tether_sid is 400 bad_request, not a new session",
			run: func(ctx context.Context, e *env) error {
				st, a, err := e.openSSE(ctx, params{wire.ParamMode: wire.ModeSSE, wire.ParamVersion: "1"},
					http.Header{"Accept": {"text/event-stream"}, wire.HeaderLastEventID: {"5"}})
				if err != nil {
					return err
				}
				if st != nil {
					st.close()
					return errors.New("the server answered 200 and opened a stream")
				}
				return a.wantErrorErr(wire.CodeBadRequest)
			}},
		{ID: "sse.last-event-id-syntax", Section: "6.1, 8.4", Level: Must, need: needSSE,
			Title: "a malformed Last-Event-ID on an SSE resume is 400 bad_request",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newSSESession(ctx, nil)
				if err != nil {
					return err
				}
				s.st.close()
				for _, v := range []string{"x", "01", "-1"} {
					h := sseKeyHeader(s.key)
					h.Set(wire.HeaderLastEventID, v)
					st, a, err := e.openSSE(ctx, s.params(wire.ModeSSE, wire.ParamAck, "0"), h)
					if err != nil {
						return err
					}
					if st != nil {
						st.close()
						return fmt.Errorf("Last-Event-ID: %s: the server answered 200 and opened a stream", v)
					}
					if err := a.wantErrorErr(wire.CodeBadRequest); err != nil {
						return fmt.Errorf("Last-Event-ID: %s: %w", v, err)
					}
				}
				return nil
			}},
	}
}
