package conformance

import (
	"context"
	"fmt"
	"net/http"

	"github.com/tether-sdk/tether/internal/wire"
)

func errorChecks() []*Check {
	return []*Check{
		{ID: "http.not-tether", Section: "3", Level: Should,
			Title: "a GET with neither Upgrade nor a tether parameter is 400 bad_request (unless the application serves it)",
			run: func(ctx context.Context, e *env) error {
				return e.refused(ctx, http.MethodGet, params{}, nil, nil, wire.CodeBadRequest)
			}},
		{ID: "http.version-missing", Section: "3", Level: Must,
			Title: "a request without tether_v is 400 bad_request",
			run: func(ctx context.Context, e *env) error {
				return e.refused(ctx, http.MethodGet, params{wire.ParamMode: httpAttachMode(e)}, nil, nil, wire.CodeBadRequest)
			}},
		{ID: "http.version-unsupported", Section: "2, 3, 13", Level: Must,
			Title: "tether_v=2 is 400 unsupported_version with versions listing 1",
			run: func(ctx context.Context, e *env) error {
				return e.refused(ctx, http.MethodGet, params{wire.ParamMode: httpAttachMode(e), wire.ParamVersion: "2"}, nil, nil, wire.CodeUnsupportedVersion)
			}},
		{ID: "http.unknown-mode", Section: "3", Level: Must,
			Title: "an unknown tether value is 400 bad_request",
			run: func(ctx context.Context, e *env) error {
				return e.refused(ctx, http.MethodGet, params{wire.ParamMode: "bogus", wire.ParamVersion: "1"}, nil, nil, wire.CodeBadRequest)
			}},
		{ID: "http.ack-syntax", Section: "3, 6.1", Level: Must, need: needPoll,
			Title: "a tether_ack that is not a strict decimal number (00, +0, 0x0, 1.0, -0) is 400 bad_request",
			run: func(ctx context.Context, e *env) error {
				s, err := e.pollOpen(ctx)
				if err != nil {
					return err
				}
				for _, v := range []string{"00", "+0", "0x0", "1.0", "-0", "1e0"} {
					if err := e.refused(ctx, http.MethodGet, s.params(wire.ModePollOpen, wire.ParamAck, v), keyHeader(s.key), nil, wire.CodeBadRequest); err != nil {
						return fmt.Errorf("poll-open resume with tether_ack=%s: %w", v, err)
					}
				}
				return nil
			}},
		{ID: "http.ack-missing", Section: "3", Level: Must, need: needPoll,
			Title: "a resume or poll without tether_ack is 400 bad_request",
			run: func(ctx context.Context, e *env) error {
				s, err := e.pollOpen(ctx)
				if err != nil {
					return err
				}
				for _, mode := range []string{wire.ModePollOpen, wire.ModePoll} {
					if err := e.refused(ctx, http.MethodGet, s.params(mode), keyHeader(s.key), nil, wire.CodeBadRequest); err != nil {
						return fmt.Errorf("%s without tether_ack: %w", mode, err)
					}
				}
				return nil
			}},
		{ID: "http.ack-ahead", Section: "3, 4.4", Level: Must, need: needPoll,
			Title: "a tether_ack above the last seq the server sent is 400 bad_request",
			run: func(ctx context.Context, e *env) error {
				s, err := e.pollOpen(ctx)
				if err != nil {
					return err
				}
				for _, mode := range []string{wire.ModePollOpen, wire.ModePoll} {
					if err := e.refused(ctx, http.MethodGet, s.params(mode, wire.ParamAck, "5"), keyHeader(s.key), nil, wire.CodeBadRequest); err != nil {
						return fmt.Errorf("%s with tether_ack=5 when nothing was sent: %w", mode, err)
					}
				}
				return nil
			}},
		{ID: "send.malformed", Section: "5, 6.3, 13", Level: Must, need: needFallback,
			Title: "a malformed send body, or a frame not allowed in one, is 400 bad_request",
			run: func(ctx context.Context, e *env) error {
				s, closeFn, err := e.fallbackSession(ctx)
				if err != nil {
					return err
				}
				defer closeFn()
				for _, body := range []string{
					`[["m",1,"x"]`, `{"m":1}`, `[["z",1]]`, `[["m",0,"x"]]`, `[["m",1]]`,
					`[["b",1,"AP8"]]`, `[["b",1,"AP-Q"]]`, `[["m",9007199254740992,"x"]]`, `[["h",{"v":1}]]`, `[["u",0]]`,
				} {
					if err := e.refused(ctx, http.MethodPost, s.params(wire.ModeSend), keyHeader(s.key), []byte(body), wire.CodeBadRequest); err != nil {
						return fmt.Errorf("send body %s: %w", body, err)
					}
				}
				return nil
			}},
		{ID: "ws.malformed", Section: "6.2, 13", Level: Must, need: needWS,
			Title: "a malformed WebSocket frame gets e bad_request and close 4400",
			run: func(ctx context.Context, e *env) error {
				for _, m := range []struct {
					binary bool
					data   string
				}{{false, "m01 x"}, {false, "z1"}, {false, "a"}, {true, "m1 x"}, {false, "b1 x"}, {false, "s"}} {
					s, err := e.newWSSession(ctx)
					if err != nil {
						return err
					}
					err = s.ws.sendRaw(m.binary, []byte(m.data))
					if err == nil {
						err = s.ws.expectError(ctx, wire.CodeBadRequest)
					}
					s.ws.close()
					if err != nil {
						kind := "text"
						if m.binary {
							kind = "binary"
						}
						return fmt.Errorf("%s message %q: %w", kind, m.data, err)
					}
				}
				return nil
			}},
		{ID: "ws.origin", Section: "15", Level: Must, need: needWS,
			Title: "a WebSocket handshake from a foreign Origin is refused with 403 forbidden_origin before upgrading",
			run: func(ctx context.Context, e *env) error {
				dctx, cancel := context.WithTimeout(ctx, e.patience)
				defer cancel()
				c, resp, err := e.cfg.DialWebSocket(dctx, http.Header{"Origin": {foreignOrigin}}, []string{wire.Subprotocol})
				if err == nil {
					c.Close()
					return fmt.Errorf("the server upgraded a WebSocket from Origin %s (a server that allows every origin fails this check by design)", foreignOrigin)
				}
				if resp == nil {
					return fmt.Errorf("no HTTP answer: %w", err)
				}
				return answerOf(resp).wantErrorErr(wire.CodeForbiddenOrigin)
			}},
		{ID: "cors.preflight", Section: "16", Level: Must,
			Title: "a CORS preflight from a foreign origin gets 403 without CORS headers (never *)",
			run: func(ctx context.Context, e *env) error {
				h := http.Header{"Origin": {foreignOrigin}, "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"content-type, tether-key"}}
				a, err := e.do(ctx, http.MethodOptions, params{wire.ParamMode: wire.ModeSend, wire.ParamVersion: "1"}, h, nil, 0)
				if err != nil {
					return err
				}
				if v := a.resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
					return fmt.Errorf("the preflight from %s got Access-Control-Allow-Origin: %s", foreignOrigin, v)
				}
				if a.resp.StatusCode != http.StatusForbidden {
					return fmt.Errorf("the preflight from %s got %s, not 403", foreignOrigin, a)
				}
				return nil
			}},
	}
}

// foreignOrigin is an origin no server allows (.invalid is reserved).
const foreignOrigin = "https://conformance.invalid"

// httpAttachMode is an attach mode the server offers, for request-error
// checks (poll-open if offered: it answers at once).
func httpAttachMode(e *env) string {
	if e.offers(wire.TransportPoll) || !e.offers(wire.TransportSSE) {
		return wire.ModePollOpen
	}
	return wire.ModeSSE
}
