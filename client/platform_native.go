//go:build !js

package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/tether-sdk/tether/fallback"
	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// nativeLinks dials WebSocket through transport and SSE/long-poll through
// fallback, all with one transport.Dialer.
type nativeLinks struct {
	d *transport.Dialer
	o *Options
	c *Client
}

func newLinkDialer(rawURL string, o *Options, c *Client) (LinkDialer, error) {
	if o.LinkDialer != nil {
		return o.LinkDialer, nil
	}
	d, err := transport.New(rawURL, o.Dial)
	if err != nil {
		return nil, err
	}
	return &nativeLinks{d: d, o: o, c: c}, nil
}

func (n *nativeLinks) DialLink(ctx context.Context, tr string, header http.Header, a link.Attach) (link.Link, error) {
	fo := &fallback.Options{
		Dialer:            n.d,
		Header:            func() http.Header { return header },
		FirstEventTimeout: n.o.FirstEventWait,
		MaxMessage:        n.o.MaxMessageBytes,
		Logger:            n.o.Logger,
	}
	switch tr {
	case wire.TransportWebSocket:
		l, err := dialWS(ctx, n.d, n.o, header, a)
		if err != nil {
			return nil, err
		}
		return l, nil
	case wire.TransportSSE:
		return fallback.DialSSE(ctx, fo, a)
	case wire.TransportPoll:
		return fallback.DialPoll(ctx, fo, a)
	}
	return nil, fmt.Errorf("tether: unknown transport %q (use websocket, sse or longpoll)", tr)
}

func (n *nativeLinks) close() { n.d.HTTPClient().CloseIdleConnections() }

// origin is the page origin from the URL rules, sent as the Origin header.
func (c *Client) origin() string {
	if c.o.Dial == nil {
		return ""
	}
	return c.o.Dial.Origin
}
