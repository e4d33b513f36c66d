//go:build !js

package fallback

import (
	"context"
	"fmt"
	"net/http"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// The native SSE and long-polling links, registered for the client: they
// carry every request through the session's *transport.Dialer.
func init() {
	link.Register(wire.TransportSSE, func(ctx context.Context, e *link.Env, a link.Attach) (link.Link, error) {
		o, err := optionsOf(e)
		if err != nil {
			return nil, err
		}
		return dialSSE(ctx, o, a)
	})
	link.Register(wire.TransportPoll, func(ctx context.Context, e *link.Env, a link.Attach) (link.Link, error) {
		o, err := optionsOf(e)
		if err != nil {
			return nil, err
		}
		return dialPoll(ctx, o, a)
	})
}

func optionsOf(e *link.Env) (*dialOptions, error) {
	d, ok := e.Dialer.(*transport.Dialer)
	if !ok {
		return nil, fmt.Errorf("fallback: link.Env.Dialer is %T, not a *transport.Dialer", e.Dialer)
	}
	h := http.Header(e.Header)
	return &dialOptions{
		Dialer:            d,
		Header:            func() http.Header { return h },
		FirstEventTimeout: e.FirstEventWait,
		MaxMessage:        e.MaxMessage,
		Logger:            e.Logger,
	}, nil
}
