package client

import (
	"context"
	"net/http"

	"github.com/tether-sdk/tether/internal/link"
)

// LinkDialer opens one transport connection of a session. The native
// transports implement it; Tether's platform packages (wasm, for the
// browser's WebSocket, EventSource and fetch) plug in their own, so that the
// session logic is never copied. It is not meant to be implemented outside
// this module.
type LinkDialer interface {
	DialLink(ctx context.Context, transport string, header http.Header, a link.Attach) (link.Link, error)
}
