package fallback

import (
	"errors"
	"strings"

	"github.com/tether-sdk/tether/internal/sse"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/internal/xfmt"
	"github.com/tether-sdk/tether/transport"
)

// tooLarge is the error of an answer, SSE line or SSE event from the server
// that exceeded limit, one of the bounds of 6 x max + 64 KiB (bodyLimit): a
// *transport.LimitError wrapping cause, that says how to raise the bound.
func (r *requester) tooLarge(what string, limit int64, cause error) error {
	return &transport.LimitError{Transport: r.name, What: what, Limit: limit, Fix: r.limitFix("6 x ", " + 64 KiB"), Err: cause}
}

// limitFix says where a bound that follows the message size comes from:
// the smaller of the client's own max and the server's.
func (r *requester) limitFix(before, after string) string {
	if r.max < r.own {
		return xfmt.Sprintf("the bound is %sthe server's max (%d bytes, below the client's %d)%s, and the server broke it", before, r.max, r.own, after)
	}
	return xfmt.Sprintf("the bound is %sthe client's largest message (%d bytes)%s, whatever max the server announces; "+
		"to take larger messages from a trusted server, raise client.Options.MaxMessageBytes (fallback.Options.MaxMessage)", before, r.own, after)
}

// streamError turns an SSE reader's ErrTooLarge into the LimitError of the
// line or event that exceeded the bound; other errors are returned as they
// are.
func (r *requester) streamError(err error) error {
	var se *sse.Error
	if !errors.As(err, &se) || !errors.Is(err, sse.ErrTooLarge) {
		return err
	}
	what := "a line of the event stream"
	if se.Field == "data" {
		what = "an event of the event stream"
	}
	return r.tooLarge(what, int64(se.Limit), err)
}

// payloadError turns the wire package's error for a payload over r.max into
// a LimitError; other errors (a batch of too many frames among them) are
// returned as they are. where says where the message was.
func (r *requester) payloadError(where string, err error) error {
	var fe *wire.FormatError
	if !errors.As(err, &fe) || !errors.Is(err, wire.ErrTooLarge) || !strings.Contains(fe.Reason, "payload of") {
		return err
	}
	return &transport.LimitError{Transport: r.name, What: "a message " + where, Limit: r.max, Fix: r.limitFix("", ""), Err: err}
}
