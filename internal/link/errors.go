package link

import (
	"errors"

	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/internal/xfmt"
)

// ServerError is an error answer from a Tether server: an error frame on a
// WebSocket, or the JSON body of an HTTP error answer. Answer.Code tells the
// client what to do (see PROTOCOL.md section 13): wire.CodeSessionNotFound
// means the session is gone and a new one must be started.
type ServerError struct {
	Transport string
	Answer    wire.Error // the server's error object
	Err       error      // the underlying transport error (e.g. a *transport.HandshakeError), if any
}

func (e *ServerError) Error() string {
	return xfmt.Sprintf("tether: server refused %s: %s (%s)", e.Transport, e.Answer.Message, e.Answer.Code)
}

func (e *ServerError) Unwrap() error { return e.Err }

// ErrClosed is what the browser links' calls return after Close (natively
// the links return errors matching net.ErrClosed; package net stays out of
// the browser build).
var ErrClosed = errors.New("link closed")
