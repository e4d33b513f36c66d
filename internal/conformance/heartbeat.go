package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

func ms(v int64) time.Duration { return time.Duration(v) * time.Millisecond }

func heartbeatChecks() []*Check {
	return []*Check{
		{ID: "ws.heartbeat", Section: "11", Level: Must, need: needWS,
			wait:  func(e *env) time.Duration { return ms(e.welcome.HB) },
			Title: "the server sends p<recv> within hb ms on an idle WebSocket",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newWSSession(ctx)
				if err != nil {
					return err
				}
				defer s.ws.close()
				if err := s.ws.send(text(1, "x")); err != nil {
					return err
				}
				wait := ms(s.welcome.HB) + e.patience
				deadline := time.Now().Add(wait)
				for {
					f, err := s.ws.next(ctx, time.Until(deadline))
					if err != nil {
						return fmt.Errorf("waiting %v (hb %d ms + %v) for a ping: %w", wait, s.welcome.HB, e.patience, err)
					}
					switch f.Kind {
					case wire.KindPing:
						if f.Seq != 1 {
							return fmt.Errorf("the ping carries %d, not the server's recv 1", f.Seq)
						}
						return s.ws.send(wire.Frame{Kind: wire.KindPong})
					case wire.KindAck, wire.KindText, wire.KindBinary:
					default:
						return fmt.Errorf("waiting for a ping, got %s", describeFrame(&f))
					}
				}
			}},
		{ID: "sse.heartbeat", Section: "8.1, 11, 14", Level: Must, need: needSSE,
			wait:  func(e *env) time.Duration { return min(ms(e.welcome.HB), 15*time.Second) },
			Title: "an idle SSE stream carries a :hb comment at least every min(hb, 15000) ms",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newSSESession(ctx, nil)
				if err != nil {
					return err
				}
				defer s.st.close()
				wait := min(ms(s.welcome.HB), 15*time.Second) + e.patience
				deadline := time.Now().Add(wait)
				for {
					ev, err := s.st.next(ctx, time.Until(deadline), true)
					if err != nil {
						return fmt.Errorf("waiting %v for :hb: %w", wait, err)
					}
					if strings.TrimPrefix(ev.comment, " ") == "hb" { // ":hb" or ": hb"
						return nil
					}
				}
			}},
		{ID: "poll.hold", Section: "9.2, 9.3", Level: Must, need: needPoll,
			wait:  func(e *env) time.Duration { return ms(e.welcome.Poll) },
			Title: "a poll with nothing pending is held and answered [] within poll ms",
			run: func(ctx context.Context, e *env) error {
				s, err := e.pollOpen(ctx)
				if err != nil {
					return err
				}
				a, err := e.do(ctx, http.MethodGet, s.params(wire.ModePoll, wire.ParamAck, "0"), keyHeader(s.key), nil, ms(s.welcome.Poll))
				if err != nil {
					return fmt.Errorf("a poll with nothing pending, within poll %d ms + %v: %w", s.welcome.Poll, e.patience, err)
				}
				frames, err := a.frames()
				if err != nil {
					return err
				}
				if len(frames) != 0 {
					return fmt.Errorf("a poll with nothing pending answered %v, not []", kinds(frames))
				}
				return nil
			}},
		{ID: "session.ttl", Section: "4.7", Level: Must, need: needWS,
			wait:  func(e *env) time.Duration { return ms(e.welcome.TTL) },
			Title: "a session with no transport for ttl ms is forgotten: a resume then gets session_not_found",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newWSSession(ctx)
				if err != nil {
					return err
				}
				s.ws.close()
				// The server detects the cut at once on a live connection;
				// a second (or patience, if shorter) covers its timers.
				t := time.NewTimer(ms(s.welcome.TTL) + min(e.patience, time.Second))
				defer t.Stop()
				select {
				case <-t.C:
				case <-ctx.Done():
					return ctx.Err()
				}
				ws, err := e.dialWS(ctx)
				if err != nil {
					return err
				}
				defer ws.close()
				if err := ws.send(wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: 1, SID: s.sid, Key: s.key}}); err != nil {
					return err
				}
				err = ws.expectError(ctx, wire.CodeSessionNotFound)
				var ce *closedError
				if err != nil && !errors.As(err, &ce) {
					return fmt.Errorf("resuming %v after the connection dropped (ttl %d ms): %w", ms(s.welcome.TTL)+min(e.patience, time.Second), s.welcome.TTL, err)
				}
				return err
			}},
	}
}
