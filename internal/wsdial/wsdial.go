//go:build !js

// Package wsdial lets the module's own commands (tether conformance) open a
// raw gorilla WebSocket through a transport.Dialer's proxy, TLS settings and
// pins, without gorilla types in package transport's API. Package transport
// sets Dial in its init.
package wsdial

import (
	"context"
	"net/http"

	"github.com/gorilla/websocket"
)

// Dial opens a WebSocket with d (a *transport.Dialer: this package sits
// below transport and cannot name it), sending header and offering
// subprotocols, with no read limit. Its errors are transport's (a
// *transport.HandshakeError, whose Body holds what the server answered).
var Dial func(ctx context.Context, d any, header http.Header, subprotocols []string) (*websocket.Conn, *http.Response, error)
