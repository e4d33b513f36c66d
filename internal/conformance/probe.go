package conformance

import (
	"context"
	"fmt"

	"github.com/tether-sdk/tether/internal/wire"
)

func probeChecks() []*Check {
	return []*Check{
		{ID: "ws.probe", Section: "10", Level: Must, need: needProbe,
			Title: "a probe gets welcome probe:true resumed:true, q for p, the fallback stays active until u, then s on it; the WebSocket carries the session",
			run: func(ctx context.Context, e *env) error {
				if !e.offers(wire.TransportPoll) {
					return skipf("the probe check runs from long-polling, which is not offered")
				}
				s, err := e.pollOpen(ctx)
				if err != nil {
					return err
				}
				held := e.holdPoll(ctx, s, 0)
				ws, err := e.probeWS(ctx, s.sid, s.key)
				if err != nil {
					return err
				}
				defer ws.close()
				ack, got, err := ws.ping(ctx, 0)
				if err != nil {
					return fmt.Errorf("probe: %w", err)
				}
				if ack != 0 || len(got) > 0 {
					return fmt.Errorf("probe: p0 answered q%d (expected q0) after %d data frames (no data before u)", ack, len(got))
				}
				if a := held.early(); a != nil {
					return fmt.Errorf("the fallback's held poll answered %s before u: the fallback stays active until u", a)
				}
				if err := ws.sendText("u0"); err != nil {
					return err
				}
				frames, err := held.frames(ctx, e.patience)
				if err != nil {
					return fmt.Errorf("after u: %w", err)
				}
				if len(frames) != 1 || frames[0].Kind != wire.KindSuperseded {
					return fmt.Errorf("after u the held poll answered %v, not [[\"s\"]]", kinds(frames))
				}
				if err := ws.send(text(1, "one")); err != nil {
					return err
				}
				ack, got, err = ws.ping(ctx, 0)
				if err != nil || ack != 1 {
					return fmt.Errorf("after the upgrade, m1 on the WebSocket then p0: q%d, %v", ack, err)
				}
				if !e.cfg.NoEcho {
					if len(got) == 0 {
						got, err = ws.collect(ctx, 1)
					}
					if err == nil {
						err = wantData(got, 1, "one")
					}
					if err != nil {
						return fmt.Errorf("after the upgrade the WebSocket carries the session: %w", err)
					}
				}
				return nil
			}},
		{ID: "ws.probe-no-fallback", Section: "4.6, 10", Level: Must, need: needWS,
			Title: "a probe on a session carried by another WebSocket is answered; on u it takes over and the other gets s and close 4409",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newWSSession(ctx)
				if err != nil {
					return err
				}
				defer s.ws.close()
				ws, err := e.probeWS(ctx, s.sid, s.key)
				if err != nil {
					return err
				}
				defer ws.close()
				if ack, _, err := ws.ping(ctx, 0); err != nil || ack != 0 {
					return fmt.Errorf("probe: p0 answered q%d, %v", ack, err)
				}
				if err := ws.sendText("u0"); err != nil {
					return err
				}
				if _, err := s.ws.expect(ctx, "s on the WebSocket the probe replaced", 0, func(f *wire.Frame) bool { return f.Kind == wire.KindSuperseded }); err != nil {
					return err
				}
				if err := s.ws.expectClose(ctx, wire.CloseSuperseded, "after s"); err != nil {
					return err
				}
				if err := ws.send(text(1, "one")); err != nil {
					return err
				}
				if ack, _, err := ws.ping(ctx, 0); err != nil || ack != 1 {
					return fmt.Errorf("after the upgrade, m1 on the probe then p0: q%d, %v", ack, err)
				}
				return nil
			}},
		{ID: "ws.probe-data", Section: "10", Level: Must, need: needProbe,
			Title: "data on a probe before u gets e bad_request on the probe; the fallback session is not affected",
			run: func(ctx context.Context, e *env) error {
				s, closeFn, err := e.fallbackSession(ctx)
				if err != nil {
					return err
				}
				defer closeFn()
				ws, err := e.dialWS(ctx)
				if err != nil {
					return err
				}
				defer ws.close()
				if _, err := ws.hello(ctx, wire.Hello{SID: s.sid, Key: s.key, Probe: true}); err != nil {
					return fmt.Errorf("probe: %w", err)
				}
				if err := ws.send(text(1, "too early")); err != nil {
					return err
				}
				if err := ws.expectError(ctx, wire.CodeBadRequest); err != nil {
					return fmt.Errorf("data on a probe: %w", err)
				}
				out, err := e.send(ctx, s, text(1, "fallback"))
				if err != nil {
					return fmt.Errorf("the fallback after a failed probe: %w", err)
				}
				if out[0].Seq != 1 {
					return fmt.Errorf("the fallback after a failed probe answered m1 with [\"a\",%d]", out[0].Seq)
				}
				return nil
			}},
	}
}

// probeWS dials a WebSocket and opens it as a probe of session sid: the
// welcome must be a probe's.
func (e *env) probeWS(ctx context.Context, sid, key string) (*wsConn, error) {
	ws, err := e.dialWS(ctx)
	if err != nil {
		return nil, err
	}
	w, err := ws.hello(ctx, wire.Hello{SID: sid, Key: key, Probe: true})
	if err == nil {
		err = checkWelcome(w, false, true)
	}
	if err != nil {
		ws.close()
		return nil, fmt.Errorf("probe: %w", err)
	}
	return ws, nil
}
