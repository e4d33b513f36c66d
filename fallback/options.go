//go:build !js

package fallback

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/tether-sdk/tether/transport"
)

// dialOptions are shared by dialSSE and dialPoll. They are read when a link is
// dialled and not modified.
type dialOptions struct {
	// Dialer carries every request (its HTTPClient, with the same proxy, TLS
	// settings and pins as the WebSocket) to its Target().HTTP URL.
	// Required.
	Dialer *transport.Dialer

	// Header, when not nil, is called for every request and its headers are
	// sent with it (for example an Authorization token that changes). The
	// dialing layer tunnels through proxies, so proxies never see them.
	// Nil: no extra headers.
	Header func() http.Header

	// FirstEventTimeout is how long dialSSE waits for the welcome event after
	// its request was written. A proxy that buffers event streams keeps it
	// from arriving; dialSSE then fails with ErrNoFirstEvent. Zero:
	// defaultFirstEventTimeout.
	FirstEventTimeout time.Duration

	// MaxMessage bounds a data payload, in bytes. The welcome's max can
	// lower it for the link, never raise it. Answers, SSE lines and SSE
	// events are read up to 6 x that bound + 64 KiB (the protocol's poll
	// answer bound); more is a *transport.LimitError. Zero or negative:
	// defaultMaxMessage. Values above 1 GiB bound reads as 1 GiB would.
	MaxMessage int

	// Logger receives debug and warning records (never the session key).
	// Nil: nothing is logged.
	Logger *slog.Logger
}

// resolve checks o and fills in the defaults.
func (o *dialOptions) resolve() (*config, error) {
	if o == nil || o.Dialer == nil {
		return nil, errors.New("fallback: dialOptions.Dialer is required")
	}
	c := &config{
		io:         newExchanger(o.Dialer),
		target:     o.Dialer.Target(),
		firstEvent: o.FirstEventTimeout,
		max:        int64(o.MaxMessage),
		log:        o.Logger,
	}
	if o.Header != nil {
		c.header = func() transport.Header { return o.Header() }
	}
	return c.defaults(), nil
}
