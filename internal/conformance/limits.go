package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tether-sdk/tether/internal/wire"
)

// maxTestedPayload bounds the max a check sends payloads of: a server
// announcing more is not tested with payloads of that size.
const maxTestedPayload = 64 << 20

func limitChecks() []*Check {
	return []*Check{
		{ID: "welcome.numbers", Section: "5.2, 11, 14", Level: Should,
			Title: "the announced hb is at least 1000 ms and timeout is longer than hb",
			run: func(ctx context.Context, e *env) error {
				w := e.welcome
				switch {
				case w.HB < 1000:
					return fmt.Errorf("hb is %d ms; section 14 allows down to 1000 ms", w.HB)
				case w.Timeout <= w.HB:
					return fmt.Errorf("timeout %d ms is not longer than hb %d ms: idle connections would be declared dead between pings", w.Timeout, w.HB)
				}
				return nil
			}},
		{ID: "ws.max", Section: "5.2, 13, 14", Level: Must, need: needWS,
			Title: "a payload of max bytes is accepted; max+1 gets e message_too_large and close 4413 (or close 1009)",
			run: func(ctx context.Context, e *env) error {
				maxLen, err := testedMax(e)
				if err != nil {
					return err
				}
				s, err := e.newWSSession(ctx)
				if err != nil {
					return err
				}
				defer s.ws.close()
				if err := s.ws.sendRaw(true, append([]byte("b1 "), make([]byte, maxLen)...)); err != nil {
					return err
				}
				if ack, _, err := s.ws.ping(ctx, 0); err != nil || ack != 1 {
					return fmt.Errorf("a binary payload of exactly max (%d) bytes, then p0: q%d, %v", maxLen, ack, err)
				}
				if err := s.ws.sendRaw(false, append([]byte("m2 "), bytes.Repeat([]byte("x"), maxLen+1)...)); err != nil {
					return err
				}
				err = s.ws.expectError(ctx, wire.CodeMessageTooLarge)
				var ce *closedError
				if err != nil && errors.As(err, &ce) && ce.code == wire.CloseTooBig {
					return nil // over the read limit: 1009 is allowed (7.3)
				}
				if err != nil {
					return fmt.Errorf("a text payload of max+1 (%d) bytes: %w", maxLen+1, err)
				}
				return nil
			}},
		{ID: "send.max", Section: "5.2, 9.4, 13", Level: Must, need: needFallback,
			Title: "a payload of max bytes in a send is accepted; max+1 is 413 message_too_large",
			run: func(ctx context.Context, e *env) error {
				maxLen, err := testedMax(e)
				if err != nil {
					return err
				}
				s, closeFn, err := e.fallbackSession(ctx)
				if err != nil {
					return err
				}
				defer closeFn()
				out, err := e.send(ctx, s, text(1, strings.Repeat("x", maxLen)))
				if err != nil {
					return fmt.Errorf("a payload of exactly max (%d) bytes: %w", maxLen, err)
				}
				if out[0].Seq != 1 {
					return fmt.Errorf("a payload of exactly max (%d) bytes was answered [\"a\",%d]", maxLen, out[0].Seq)
				}
				body := []byte(`[["m",2,"` + strings.Repeat("x", maxLen+1) + `"]]`)
				if err := e.refused(ctx, http.MethodPost, s.params(wire.ModeSend), keyHeader(s.key), body, wire.CodeMessageTooLarge); err != nil {
					return fmt.Errorf("a payload of max+1 (%d) bytes: %w", maxLen+1, err)
				}
				return nil
			}},
		{ID: "send.frames-limit", Section: "9.4, 14", Level: Must, need: needFallback,
			Title: "a send body of 1025 frames is 413 message_too_large; 1024 are accepted",
			run: func(ctx context.Context, e *env) error {
				s, closeFn, err := e.fallbackSession(ctx)
				if err != nil {
					return err
				}
				defer closeFn()
				batch := func(n int) []byte {
					return []byte("[" + strings.TrimSuffix(strings.Repeat(`["a",0],`, n), ",") + "]")
				}
				a, err := e.do(ctx, http.MethodPost, s.params(wire.ModeSend), keyHeader(s.key), batch(1024), 0)
				if err != nil {
					return err
				}
				if _, err := a.frames(); err != nil {
					return fmt.Errorf("a body of 1024 frames: %w", err)
				}
				err = e.refused(ctx, http.MethodPost, s.params(wire.ModeSend), keyHeader(s.key), batch(1025), wire.CodeMessageTooLarge)
				if err != nil {
					return fmt.Errorf("a body of 1025 frames: %w", err)
				}
				return nil
			}},
		{ID: "send.body-limit", Section: "9.4, 14", Level: Must, need: needFallback,
			Title: "a send body over 6 x max + 65536 bytes is 413 message_too_large",
			run: func(ctx context.Context, e *env) error {
				maxLen, err := testedMax(e)
				if err != nil {
					return err
				}
				s, closeFn, err := e.fallbackSession(ctx)
				if err != nil {
					return err
				}
				defer closeFn()
				size := 6*maxLen + 65536 + 1
				body := make([]byte, size) // [ spaces ]: a valid, empty batch, one byte too long
				for i := range body {
					body[i] = ' '
				}
				body[0], body[size-1] = '[', ']'
				if err := e.refused(ctx, http.MethodPost, s.params(wire.ModeSend), keyHeader(s.key), body, wire.CodeMessageTooLarge); err != nil {
					return fmt.Errorf("a body of %d bytes: %w", size, err)
				}
				return nil
			}},
	}
}

// testedMax is the announced max, or a skip when it is too large to send.
func testedMax(e *env) (int, error) {
	if e.welcome.Max > maxTestedPayload {
		return 0, skipf("max is %d bytes; payloads over %d are not sent", e.welcome.Max, maxTestedPayload)
	}
	return int(e.welcome.Max), nil
}
