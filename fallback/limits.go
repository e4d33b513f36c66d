//go:build !js

package fallback

import (
	"errors"
	"fmt"

	"github.com/tether-sdk/tether/internal/sse"
	"github.com/tether-sdk/tether/transport"
)

// tooLarge is the error of something the server sent that exceeded limit,
// one of the bounds that follow the message size (bodyLimit): a
// *transport.LimitError wrapping cause, that says how to raise the bound.
func (r *requester) tooLarge(what string, limit int64, cause error) error {
	return &transport.LimitError{Transport: r.name, What: what, Limit: limit, Fix: r.limitFix(), Err: cause}
}

// limitFix says where the bounds that follow the message size come from.
func (r *requester) limitFix() string {
	if r.max < r.own {
		return fmt.Sprintf("the bound is 6 x the server's max (%d bytes, below the client's %d) + 64 KiB, and the server broke it", r.max, r.own)
	}
	return fmt.Sprintf("the bound is 6 x the client's largest message (%d bytes) + 64 KiB, whatever max the server announces; "+
		"to take larger messages from a trusted server, raise client.Options.MaxMessageBytes (fallback.Options.MaxMessage)", r.own)
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
