package fallback

import (
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/internal/xfmt"
	"github.com/tether-sdk/tether/transport"
)

// errSilent is a link's liveness failure: no sign of life for d.
func errSilent(transportName, what string, d time.Duration) error {
	return xfmt.Errorf("fallback: %s: %s within %v: the connection is dead: %w", transportName, what, d, link.ErrDeadlineExceeded)
}

// malformedf is a protocol violation by the server.
func malformedf(transportName, format string, args ...any) error {
	return xfmt.Errorf("fallback: %s: %s: %w", transportName, xfmt.Sprintf(format, args...), wire.ErrMalformed)
}

// notTether is the error of an attach answered with success but not with
// Tether (a captive portal, a misrouted request): the way to the server does
// not work for this transport.
func (r *requester) notTether(resp *answer, cause error) error {
	return &transport.HandshakeError{
		Transport:  r.name,
		URL:        resp.url,
		StatusCode: resp.status,
		Status:     resp.statusLine,
		Header:     resp.header,
		Class:      transport.ClassRefused,
		Err:        cause,
	}
}

// frameError is the error of an error frame e that arrived in a successful
// answer (an SSE event, or a poll answer from a lenient server).
func (r *requester) frameError(resp *answer, e *wire.Error) error {
	status := e.Status
	if status == 0 {
		status = wire.StatusOf(e.Code)
	}
	if status == 0 {
		status = 500 // unknown code: handled like internal
	}
	he := &transport.HandshakeError{
		Transport:  r.name,
		URL:        resp.url,
		StatusCode: resp.status,
		Status:     resp.statusLine,
		Class:      transport.ClassifyStatus(status, false),
		Err:        xfmt.Errorf("error frame %q", e.Code),
	}
	return &link.ServerError{Transport: r.name, Answer: *e, Err: he}
}
