package client

import (
	"context"
	"time"

	_ "github.com/tether-sdk/tether/fallback" // registers the SSE and long-poll links
	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/transport"
)

// linkDialer opens one link of a session. The client dials through the
// links registered in internal/link (WebSocket by package transport, SSE
// and long-polling by package fallback, each with its native and its
// browser implementation); tests put a fake in Options.linkDialer.
type linkDialer interface {
	DialLink(ctx context.Context, transport string, header transport.Header, a link.Attach) (link.Link, error)
}

// registeredLinks dials the registered links with one transport.Dialer.
type registeredLinks struct {
	d *transport.Dialer
	o *Options

	// holds is what the client's long-poll links learned about the
	// holds the way to its server lets through, handed to each new one
	// (PROTOCOL.md 9.3), forgotten when the network changes.
	holds link.PollHolds
}

func newLinkDialer(rawURL string, o *Options) (linkDialer, error) {
	if o.linkDialer != nil {
		return o.linkDialer, nil
	}
	d, err := transport.New(rawURL, dialConfig(o))
	if err != nil {
		return nil, err
	}
	return &registeredLinks{d: d, o: o}, nil
}

func (r *registeredLinks) DialLink(ctx context.Context, tr string, header transport.Header, a link.Attach) (link.Link, error) {
	e := &link.Env{
		Dialer:          r.d,
		Header:          header,
		MaxMessage:      r.o.maxMessage(),
		FirstEventWait:  r.o.FirstEventWait,
		ConnectTimeout:  r.o.ConnectTimeout,
		Compression:     r.o.EnableCompression,
		Raw:             r.o.Raw,
		RawPingInterval: r.o.rawPingInterval(),
		Logger:          r.o.Logger,
		PollHolds:       &r.holds,
	}
	if sent := a.Sent; sent != nil {
		// A link that did not measure its connection's round trip (an
		// HTTP request on a reused connection) passes 0: the dialer's
		// last measured one stands for it.
		a.Sent = func(rtt time.Duration) {
			if rtt <= 0 {
				rtt = r.d.RTT()
			}
			sent(rtt)
		}
	}
	return link.Dial(ctx, tr, e, a)
}

// forgetPath drops what the links learned about the way to the server:
// the device moved to another network.
func (r *registeredLinks) forgetPath() { r.holds.Forget() }
