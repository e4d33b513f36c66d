package fallback

import (
	"context"

	"errors"
	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// The SSE and long-polling links, registered for the client.
func init() {
	link.Register(wire.TransportSSE, func(ctx context.Context, e *link.Env, a link.Attach) (link.Link, error) {
		c, err := configOf(e)
		if err != nil {
			return nil, err
		}
		return attachSSE(ctx, c, a)
	})
	link.Register(wire.TransportPoll, func(ctx context.Context, e *link.Env, a link.Attach) (link.Link, error) {
		c, err := configOf(e)
		if err != nil {
			return nil, err
		}
		return attachPoll(ctx, c, a)
	})
}

// configOf is the config of the links of a client. Every request goes
// through the session's *transport.Dialer: its HTTP client natively, the
// browser's fetch in js/wasm (newExchanger).
func configOf(e *link.Env) (*config, error) {
	d, ok := e.Dialer.(*transport.Dialer)
	if !ok {
		return nil, errors.New("fallback: link.Env.Dialer is not a *transport.Dialer")
	}
	h := transport.Header(e.Header)
	c := &config{
		io:         newExchanger(d),
		target:     d.Target(),
		header:     func() transport.Header { return h },
		firstEvent: e.FirstEventWait,
		max:        int64(e.MaxMessage),
		log:        e.Logger,
		holds:      e.PollHolds,
	}
	return c.defaults(), nil
}
