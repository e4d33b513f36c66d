package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/tether-sdk/tether/internal/wire"
)

func supersedeChecks() []*Check {
	return []*Check{
		{ID: "ws.supersede", Section: "4.6", Level: Must, need: needWS,
			Title: "a WebSocket superseded by a new attach gets s, then close 4409",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newWSSession(ctx)
				if err != nil {
					return err
				}
				defer s.ws.close()
				ws, _, err := e.resumeWS(ctx, &s.session, 0)
				if err != nil {
					return err
				}
				defer ws.close()
				if _, err := s.ws.expect(ctx, "s on the superseded WebSocket", 0, func(f *wire.Frame) bool { return f.Kind == wire.KindSuperseded }); err != nil {
					return err
				}
				return s.ws.expectClose(ctx, wire.CloseSuperseded, "after s")
			}},
		{ID: "sse.supersede", Section: "4.6", Level: Must, need: needSSE,
			Title: "an SSE stream superseded by a new attach gets a [\"s\"] event, then the response ends",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newSSESession(ctx, nil)
				if err != nil {
					return err
				}
				defer s.st.close()
				switch {
				case e.offers(wire.TransportPoll):
					if _, err := e.pollResume(ctx, &s.session, 0); err != nil {
						return err
					}
				case e.offers(wire.TransportWebSocket):
					ws, _, err := e.resumeWS(ctx, &s.session, 0)
					if err != nil {
						return err
					}
					defer ws.close()
				default:
					st, _, err := e.resumeSSE(ctx, &s.session, 0, sseKeyHeader(s.key), false)
					if err != nil {
						return err
					}
					defer st.close()
				}
				for {
					ev, err := s.st.next(ctx, e.patience, false)
					if err != nil {
						return fmt.Errorf("waiting for the [\"s\"] event: %w", err)
					}
					if ev.frame.Kind == wire.KindSuperseded {
						break
					}
					if ev.frame.Kind != wire.KindAck {
						return fmt.Errorf("waiting for the [\"s\"] event, got %s", shorten(ev.raw))
					}
				}
				ev, err := s.st.next(ctx, e.patience, true)
				if err == nil {
					return fmt.Errorf("after [\"s\"] the stream goes on: %q%s", ev.comment, shorten(ev.raw))
				}
				if errors.Is(err, errNoAnswer) {
					return fmt.Errorf("after [\"s\"] the stream did not end: %w", err)
				}
				return nil
			}},
		{ID: "poll.supersede", Section: "4.6", Level: Must, need: needPoll,
			Title: "a held poll superseded by another transport answers [[\"s\"]]; a later poll gets [[\"s\"]] at once",
			run: func(ctx context.Context, e *env) error {
				s, err := e.pollOpen(ctx)
				if err != nil {
					return err
				}
				held := e.holdPoll(ctx, s, 0)
				switch {
				case e.offers(wire.TransportWebSocket):
					ws, _, err := e.resumeWS(ctx, s, 0)
					if err != nil {
						return err
					}
					defer ws.close()
				case e.offers(wire.TransportSSE):
					st, _, err := e.resumeSSE(ctx, s, 0, sseKeyHeader(s.key), false)
					if err != nil {
						return err
					}
					defer st.close()
				default:
					return skipf("needs websocket or sse besides longpoll")
				}
				frames, err := held.frames(ctx, e.patience)
				if err != nil {
					return err
				}
				if len(frames) != 1 || frames[0].Kind != wire.KindSuperseded {
					return fmt.Errorf("the held poll answered %v, not [[\"s\"]]", kinds(frames))
				}
				a, err := e.do(ctx, http.MethodGet, s.params(wire.ModePoll, wire.ParamAck, "0"), keyHeader(s.key), nil, 0)
				if err != nil {
					return fmt.Errorf("a poll while another transport is active (answered at once): %w", err)
				}
				frames, err = a.frames()
				if err != nil {
					return err
				}
				if len(frames) != 1 || frames[0].Kind != wire.KindSuperseded {
					return fmt.Errorf("a poll while another transport is active answered %v, not [[\"s\"]]", kinds(frames))
				}
				return nil
			}},
		{ID: "poll.replace", Section: "9.7", Level: Must, need: needPoll,
			Title: "a poll arriving while another is held replaces it: the older one answers [] at once",
			run: func(ctx context.Context, e *env) error {
				s, err := e.pollOpen(ctx)
				if err != nil {
					return err
				}
				if hold := ms(s.welcome.Poll); hold < 2*e.patience {
					return skipf("poll (%v) is too short to tell a replaced poll from an expired one within --patience %v", hold, e.patience)
				}
				older := e.holdPoll(ctx, s, 0)
				if a := older.early(); a != nil {
					return fmt.Errorf("a poll with nothing pending answered at once: %s", a)
				}
				newer := e.holdPoll(ctx, s, 0)
				frames, err := older.frames(ctx, e.patience)
				if err != nil {
					return fmt.Errorf("the older poll, after a newer one arrived: %w", err)
				}
				if len(frames) != 0 {
					return fmt.Errorf("the replaced poll answered %v, not []", kinds(frames))
				}
				if a := newer.early(); a != nil {
					return fmt.Errorf("the newer poll was answered too (%s); it should be the one held", a)
				}
				return nil
			}},
	}
}
