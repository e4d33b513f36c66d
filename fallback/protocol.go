package fallback

import (
	"errors"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// The protocol's defaults and bounds live in internal/wire, shared by the
// native and the browser links.
const (
	defaultTimeout = wire.DefaultTimeout
	defaultPoll    = wire.DefaultPoll
)

func bodyLimit(max int64) int64                        { return wire.BodyLimit(max) }
func millis(ms int64, def time.Duration) time.Duration { return wire.Millis(ms, def) }
func parseErrorObject(body []byte) (*wire.Error, bool) { return wire.ParseErrorObject(body) }

// ErrNoFirstEvent is the cause of the *transport.HandshakeError (class
// ClassRefused) with which an SSE attach fails when no welcome event arrived
// within client.Options.FirstEventWait of the request: something on the way,
// typically a proxy, buffers the event stream, so the client moves on to
// long-polling, whose answers are complete bodies. In the browser the window
// starts when fetch is called, not when the request is written (the page
// cannot see that moment).
var ErrNoFirstEvent = errors.New("fallback: no first SSE event in time: a proxy on the way buffers event streams")
