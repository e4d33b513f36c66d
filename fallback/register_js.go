//go:build js && wasm

package fallback

import (
	"context"
	"errors"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// The browser's SSE (fetch with a streamed body) and long-polling (fetch
// with AbortController) links, registered for the client.
func init() {
	link.Register(wire.TransportSSE, func(ctx context.Context, e *link.Env, a link.Attach) (link.Link, error) {
		t, err := target(e)
		if err != nil {
			return nil, err
		}
		return dialSSE(ctx, t, transport.Header(e.Header), e.MaxMessage, e.FirstEventWait, a)
	})
	link.Register(wire.TransportPoll, func(ctx context.Context, e *link.Env, a link.Attach) (link.Link, error) {
		t, err := target(e)
		if err != nil {
			return nil, err
		}
		return dialPoll(ctx, t, transport.Header(e.Header), e.MaxMessage, a)
	})
}

func target(e *link.Env) (*transport.Target, error) {
	d, ok := e.Dialer.(*transport.Dialer)
	if !ok {
		return nil, errors.New("fallback: link.Env.Dialer is not a *transport.Dialer")
	}
	t := d.Target()
	return &t, nil
}
