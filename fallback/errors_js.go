//go:build js && wasm

package fallback

import (
	"github.com/tether-sdk/tether/internal/link"
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
