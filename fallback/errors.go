//go:build !js

package fallback

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// errClosed is what calls on a closed link return.
func errClosed(transportName string) error {
	return fmt.Errorf("fallback: %s link closed: %w", transportName, net.ErrClosed)
}

// errSilent is a link's liveness failure: no sign of life for d.
func errSilent(transportName, what string, d time.Duration) error {
	return fmt.Errorf("fallback: %s: %s within %v: the connection is dead: %w", transportName, what, d, os.ErrDeadlineExceeded)
}

// malformedf is a protocol violation by the server.
func malformedf(transportName, format string, args ...any) error {
	return fmt.Errorf("fallback: %s: %s: %w", transportName, fmt.Sprintf(format, args...), wire.ErrMalformed)
}

// notTether is the error of an attach answered with success but not with
// Tether (a captive portal, a misrouted request): the way to the server does
// not work for this transport.
func (r *requester) notTether(resp *http.Response, cause error) error {
	return &transport.HandshakeError{
		Transport:  r.name,
		URL:        resp.Request.URL.Redacted(),
		StatusCode: resp.StatusCode,
		Status:     resp.Status,
		Header:     resp.Header,
		Class:      transport.ClassRefused,
		Err:        cause,
	}
}

// answerError turns a non-2xx answer into the Dialer's classified
// *transport.HandshakeError, wrapped in a *link.ServerError when the body is
// a Tether error object. It reads (a bounded part of) the body and closes it.
func (r *requester) answerError(resp *http.Response) error {
	he := r.dialer.StatusError(r.name, resp)
	if e, ok := parseErrorObject(he.Body); ok {
		return &link.ServerError{Transport: r.name, Answer: *e, Err: he}
	}
	return he
}

// frameError is the error of an error frame e that arrived in a successful
// answer (an SSE event, or a poll answer from a lenient server).
func (r *requester) frameError(resp *http.Response, e *wire.Error) error {
	status := e.Status
	if status == 0 {
		status = wire.StatusOf(e.Code)
	}
	if status == 0 {
		status = http.StatusInternalServerError // unknown code: handled like internal
	}
	he := &transport.HandshakeError{
		Transport:  r.name,
		URL:        resp.Request.URL.Redacted(),
		StatusCode: resp.StatusCode,
		Status:     resp.Status,
		Class:      transport.ClassifyStatus(status, false),
		Err:        fmt.Errorf("error frame %q", e.Code),
	}
	return &link.ServerError{Transport: r.name, Answer: *e, Err: he}
}
