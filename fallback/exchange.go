package fallback

import (
	"context"
	"io"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// Defaults of a config and of a welcome that leaves a field at zero.
const (
	// defaultFirstEventTimeout is the first-event window when none is set.
	defaultFirstEventTimeout = wire.DefaultFirstEventWait
	// defaultMaxMessage is the payload bound when none is set (1 MiB, the
	// protocol's default max).
	defaultMaxMessage = wire.DefaultMax
)

// exchanger carries the links' HTTP requests: net/http natively
// (nethttp.go), the browser's fetch in js/wasm (fetch_js.go). It is the
// only part of the links that differs between the two; the protocol (the
// attach and its checks, the poll loop, sends, acks, error mapping) is
// written once, over it.
type exchanger interface {
	// exchange sends q and returns its 2xx answer, the body still to be
	// read (and closed) by the caller. A non-2xx answer is a bare
	// *transport.HandshakeError, classified, with (a bounded part of) the
	// body in its Body field; any other failure is an error saying what
	// failed. ctx covers the request and the reading of the body.
	exchange(ctx context.Context, q *request) (*answer, error)
}

// request is one HTTP request of a link.
type request struct {
	name   string // the link's transport, for errors
	method string // "GET" or "POST"
	url    string
	header transport.Header
	body   []byte // nil: none
	// wrote, when not nil, is called once the request is written (in the
	// browser, which cannot see that moment, when it is handed to fetch):
	// the windows for an answer start then.
	wrote func()
}

// answer is a 2xx answer of a request.
type answer struct {
	status     int
	statusLine string // e.g. "200 OK"
	header     transport.Header
	url        string // the request's URL, redacted, for errors
	length     int64  // Content-Length; -1 when unknown
	body       io.ReadCloser
}

// config is what the links of one client share, checked and defaulted.
type config struct {
	io         exchanger
	target     transport.Target
	header     func() transport.Header // nil: no extra headers
	firstEvent time.Duration           // > 0
	max        int64                   // > 0
	log        link.Logger             // not nil
	holds      *link.PollHolds         // the client's learned long-poll hold; nil: none kept
}

// defaults fills in the zero fields of c.
func (c *config) defaults() *config {
	if c.firstEvent <= 0 {
		c.firstEvent = defaultFirstEventTimeout
	}
	if c.max <= 0 {
		c.max = defaultMaxMessage
	}
	if c.log == nil {
		c.log = link.Discard()
	}
	return c
}
