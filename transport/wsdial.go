//go:build !js

package transport

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/wsdial"
)

func init() {
	wsdial.Dial = func(ctx context.Context, d any, h http.Header, sub []string) (*websocket.Conn, *http.Response, error) {
		td, ok := d.(*Dialer)
		if !ok {
			return nil, nil, fmt.Errorf("wsdial: %T is not a *transport.Dialer", d)
		}
		return td.dialWebSocket(ctx, &wsOptions{Subprotocols: sub, Header: h, ReadLimit: -1})
	}
}
