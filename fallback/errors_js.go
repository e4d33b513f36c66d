//go:build js && wasm

package fallback

import (
	"os"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/internal/xfmt"
)

// CloseError is a WebSocket closed by the browser or the server before the
// link ended it, with the close event's code, reason and wasClean.
// Code 1006 means the connection failed or was refused; the browser hides
// the HTTP status of a refused upgrade.
type CloseError struct {
	Code     int
	Reason   string
	WasClean bool
}

func (e *CloseError) Error() string {
	if e.Code == 1006 {
		return "fallback: websocket: the connection failed or the upgrade was refused (close 1006; the browser does not tell which)"
	}
	return xfmt.Sprintf("fallback: websocket closed: %d %q (clean: %v)", e.Code, e.Reason, e.WasClean)
}

// errClosed is what calls on a link closed by Close return.
func errClosed(transportName string) error {
	return xfmt.Errorf("fallback: %s link closed: %w", transportName, link.ErrClosed)
}

// errSilent is a link's liveness failure: no sign of life for d.
func errSilent(transportName, what string, d time.Duration) error {
	return xfmt.Errorf("fallback: %s: %s within %v: the connection is dead: %w", transportName, what, d, os.ErrDeadlineExceeded)
}

// malformedf is a protocol violation by the server.
func malformedf(transportName, format string, args ...any) error {
	return xfmt.Errorf("fallback: %s: %s: %w", transportName, xfmt.Sprintf(format, args...), wire.ErrMalformed)
}
