//go:build js && wasm

package wasm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"syscall/js"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// ErrRawUnsupported: client.Options.Raw is not available in the browser build.
var ErrRawUnsupported = errors.New("wasm: Options.Raw (a plain WebSocket server) is not supported in the browser build; use the browser's WebSocket directly")

// Links are the browser's transports for one target; Dial sets them as
// client.Options.LinkDialer.
type Links struct {
	target     transport.Target
	max        int
	firstEvent time.Duration
}

// NewLinks returns the browser links for rawURL under rules (see
// transport.ParseTarget), with the limits of o (nil: defaults).
func NewLinks(rawURL string, rules transport.URLRules, o *client.Options) (*Links, error) {
	t, err := transport.ParseTarget(rawURL, rules)
	if err != nil {
		return nil, err
	}
	l := &Links{target: t, max: client.DefaultMaxMessageBytes, firstEvent: client.DefaultFirstEventWait}
	if o != nil && o.MaxMessageBytes > 0 {
		l.max = o.MaxMessageBytes
	}
	if o != nil && o.FirstEventWait > 0 {
		l.firstEvent = o.FirstEventWait
	}
	return l, nil
}

// DialLink implements client.LinkDialer. header reaches the fetch
// transports only: a browser WebSocket cannot send headers.
func (l *Links) DialLink(ctx context.Context, tr string, header http.Header, a link.Attach) (link.Link, error) {
	switch tr {
	case wire.TransportWebSocket:
		ln, err := dialWS(ctx, l.target.WS.String(), l.max, a)
		if err != nil {
			return nil, err
		}
		return ln, nil
	case wire.TransportSSE:
		return dialSSE(ctx, &l.target, header, l.max, l.firstEvent, a)
	case wire.TransportPoll:
		return dialPoll(ctx, &l.target, header, l.max, a)
	}
	return nil, fmt.Errorf("wasm: unknown transport %q (use websocket, sse or longpoll)", tr)
}

// PageOrigin returns the page's (or worker's) origin, "" when it has none
// that is http(s) (a file: page).
func PageOrigin() string {
	loc := js.Global().Get("location")
	if !loc.Truthy() {
		return ""
	}
	o := loc.Get("origin")
	if o.Type() != js.TypeString {
		return ""
	}
	s := o.String()
	if len(s) < 7 || (s[:7] != "http://" && (len(s) < 8 || s[:8] != "https://")) {
		return ""
	}
	return s
}

// Dial is client.Dial in the browser: the page origin becomes the URL
// rules' origin (so a relative URL works, and a ws:// URL on an https page
// is refused with transport.ErrMixedContent before any request, loopback
// hosts excepted as browsers do), and the links are the browser's. opts
// is copied; its LinkDialer is replaced.
func Dial(ctx context.Context, rawURL string, opts *client.Options) (*client.Client, error) {
	var o client.Options
	if opts != nil {
		o = *opts
	}
	if o.Raw {
		return nil, ErrRawUnsupported
	}
	var rules transport.URLRules
	if o.Dial != nil {
		rules = o.Dial.URLRules
	}
	if rules.Origin == "" {
		rules.Origin = PageOrigin()
	}
	links, err := NewLinks(rawURL, rules, &o)
	if err != nil {
		return nil, err
	}
	o.Dial = &transport.Config{URLRules: rules}
	o.LinkDialer = links
	return client.Dial(ctx, rawURL, &o)
}
