package conformance

import (
	"context"
	"errors"
	"fmt"

	"github.com/tether-sdk/tether/internal/wire"
)

func closeChecks() []*Check {
	return []*Check{
		{ID: "ws.close", Section: "7.3, 12", Level: Must, need: needWS,
			Title: "a client c is answered with the server's own c, then a WebSocket close with that c's code",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newWSSession(ctx)
				if err != nil {
					return err
				}
				defer s.ws.close()
				if err := s.ws.send(text(1, "bye soon")); err != nil {
					return err
				}
				if err := s.ws.sendText(`c{"code":1000,"reason":"bye"}`); err != nil {
					return err
				}
				f, err := s.ws.expect(ctx, "the server's c answering the client's c", 0, func(f *wire.Frame) bool { return f.Kind == wire.KindClose })
				if err != nil {
					return err
				}
				return s.ws.expectClose(ctx, f.Close.Code, fmt.Sprintf("after the server's c %d", f.Close.Code))
			}},
		{ID: "send.close", Section: "12", Level: Must, need: needFallback,
			Title: "a c in a send is answered with [\"a\",n] and the server's c; the active fallback (held poll or SSE stream) gets the c too",
			run: func(ctx context.Context, e *env) error {
				if e.offers(wire.TransportPoll) {
					if err := closeOnPoll(ctx, e); err != nil {
						return fmt.Errorf("long-polling: %w", err)
					}
				}
				if e.offers(wire.TransportSSE) {
					if err := closeOnSSE(ctx, e); err != nil {
						return fmt.Errorf("sse: %w", err)
					}
				}
				return nil
			}},
	}
}

// closeOnPoll: a held poll gets the server's c after a send with the
// client's.
func closeOnPoll(ctx context.Context, e *env) error {
	s, err := e.pollOpen(ctx)
	if err != nil {
		return err
	}
	held := e.holdPoll(ctx, s, 0)
	if err := sendClose(ctx, e, s); err != nil {
		return err
	}
	frames, err := held.frames(ctx, e.patience)
	if err != nil {
		return fmt.Errorf("the held poll after the close: %w", err)
	}
	if len(frames) == 0 || frames[len(frames)-1].Kind != wire.KindClose {
		return fmt.Errorf("the held poll answered %v, without the server's c", kinds(frames))
	}
	return nil
}

// closeOnSSE: the SSE stream carries the server's c and ends.
func closeOnSSE(ctx context.Context, e *env) error {
	s, err := e.newSSESession(ctx, nil)
	if err != nil {
		return err
	}
	defer s.st.close()
	if err := sendClose(ctx, e, &s.session); err != nil {
		return err
	}
	for {
		ev, err := s.st.next(ctx, e.patience, false)
		if err != nil {
			return fmt.Errorf("waiting for the c event on the SSE stream: %w", err)
		}
		if ev.frame.Kind == wire.KindClose {
			break
		}
		switch ev.frame.Kind {
		case wire.KindAck, wire.KindText, wire.KindBinary:
		default:
			return fmt.Errorf("waiting for the c event, got %s", shorten(ev.raw))
		}
	}
	if _, err := s.st.next(ctx, e.patience, true); errors.Is(err, errNoAnswer) {
		return fmt.Errorf("after the c event the stream did not end: %w", err)
	}
	return nil
}

// sendClose sends m1 and the client's c, and expects the answer to ack 1
// and carry the server's c.
func sendClose(ctx context.Context, e *env, s *session) error {
	out, err := e.send(ctx, s, text(1, "last"), wire.Frame{Kind: wire.KindClose, Close: &wire.Close{Code: 1000, Reason: "bye"}})
	if err != nil {
		return err
	}
	if out[0].Seq != 1 {
		return fmt.Errorf("the answer to m1 c acks %d, not 1", out[0].Seq)
	}
	if out[len(out)-1].Kind != wire.KindClose {
		return fmt.Errorf("the answer to a send with c is %v, without the server's c", kinds(out))
	}
	return nil
}
