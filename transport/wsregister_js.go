//go:build js && wasm

package transport

import (
	"context"
	"errors"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

func init() { link.Register(wire.TransportWebSocket, dialWSLink) }

// dialWSLink opens the browser's WebSocket to the target (headers cannot
// be sent on a browser WebSocket: e.Header is not used).
func dialWSLink(ctx context.Context, e *link.Env, a link.Attach) (link.Link, error) {
	d, ok := e.Dialer.(*Dialer)
	if !ok {
		return nil, errors.New("tether: websocket: link.Env.Dialer is not a *transport.Dialer")
	}
	if e.Raw {
		return nil, &ConfigError{Field: "Raw", Err: errRawInBrowser}
	}
	t := d.Target()
	l, err := dialWS(ctx, attemptURL(t.WS, a), e.MaxMessage, a)
	if err != nil {
		return nil, err
	}
	return l, nil
}

var errRawInBrowser = errors.New("a plain WebSocket server (raw mode) is not supported in the browser build; use the browser's WebSocket directly")
