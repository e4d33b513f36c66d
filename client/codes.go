package client

import (
	"errors"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/internal/xfmt"
	"github.com/tether-sdk/tether/transport"
)

// Transport names, for Options.Transports and the events.
const (
	TransportWebSocket = wire.TransportWebSocket // "websocket"
	TransportSSE       = wire.TransportSSE       // "sse"
	TransportLongPoll  = wire.TransportPoll      // "longpoll"
)

// Error codes a Tether server answers with (ServerError.Code; PROTOCOL.md
// section 13). A code not listed here is handled by its status: 4xx like
// CodeBadRequest, 5xx like CodeInternal.
const (
	CodeBadRequest         = wire.CodeBadRequest         // 400: a bug on one side; final
	CodeUnsupportedVersion = wire.CodeUnsupportedVersion // 400: the server does not speak this protocol version; final
	CodeUnauthorized       = wire.CodeUnauthorized       // 401: credentials refused; final unless Options.RefreshCredentials
	CodeForbiddenOrigin    = wire.CodeForbiddenOrigin    // 403: the Origin is not allowed; final
	CodeTransportDisabled  = wire.CodeTransportDisabled  // 404: this transport is off on the server; the next one is tried
	CodeSessionNotFound    = wire.CodeSessionNotFound    // 410: the session is gone; a new one starts (ErrSessionLost)
	CodeMessageTooLarge    = wire.CodeMessageTooLarge    // 413: over the server's limit; final
	CodeTooManySessions    = wire.CodeTooManySessions    // 429: wait ServerError.Retry, then try again
	CodeTooManyPolls       = wire.CodeTooManyPolls       // 429: wait ServerError.Retry, then poll again
	CodeInternal           = wire.CodeInternal           // 500: server failure; retried with backoff
)

// ServerError is a Tether server's error answer: an HTTP error answer with
// the protocol's error object, or an error frame. Code says what happened
// (the Code constants); transport.Classify(err) says what the client does
// about it.
type ServerError struct {
	Transport string        // the transport that got the answer
	Code      string        // one of the Code constants, or a newer one
	Status    int           // the HTTP status of Code (401, 429, ...)
	Message   string        // the server's explanation
	Retry     time.Duration // how long the server asks to wait (429), 0 if it did not say
	Err       error         // the underlying transport error (a *transport.HandshakeError), if any
}

func (e *ServerError) Error() string {
	s := xfmt.Sprintf("tether: the server refused %s: %s (%s", e.Transport, shorten(e.Message, 200), e.Code)
	if e.Retry > 0 {
		s += xfmt.Sprintf(", retry after %v", e.Retry)
	}
	return s + ")"
}

func (e *ServerError) Unwrap() error { return e.Err }

// Class is what the client does about the answer: ClassUnauthorized for
// CodeUnauthorized, ClassConfig for CodeForbiddenOrigin, ClassProtocol
// (final) for CodeUnsupportedVersion, CodeMessageTooLarge, other 4xx and a
// CodeBadRequest error frame, ClassRefused (next transport) for
// CodeTransportDisabled and for a CodeBadRequest HTTP answer to an attach
// (a request mangled on the way, such as a stripped upgrade), ClassServer
// (retry) for the rest.
func (e *ServerError) Class() transport.Class {
	var he *transport.HandshakeError
	switch e.Code {
	case CodeBadRequest:
		if errors.As(e.Err, &he) {
			return he.Class
		}
		return transport.ClassProtocol
	case CodeUnauthorized:
		return transport.ClassUnauthorized
	case CodeForbiddenOrigin:
		return transport.ClassConfig
	case CodeTransportDisabled:
		return transport.ClassRefused
	case CodeSessionNotFound, CodeTooManySessions, CodeTooManyPolls, CodeInternal:
		return transport.ClassServer
	}
	if e.Status >= 400 && e.Status < 500 {
		return transport.ClassProtocol
	}
	return transport.ClassServer
}

// CloseCode is the code of a close frame (WebSocket close codes, RFC 6455;
// 4000-4999 for applications). Reconnect tells a server going away (the
// client reconnects and resumes) from the end of the session.
type CloseCode int

// Close codes of PROTOCOL.md section 5.3.
const (
	CloseNormal         CloseCode = 1000 // the session is over: final
	CloseGoingAway      CloseCode = 1001 // the server is shutting down or restarting: reconnect
	CloseProtocolError  CloseCode = 1002 // a protocol error on one connection: reconnect
	ClosePolicy         CloseCode = 1008 // policy violation: final
	CloseTooBig         CloseCode = 1009 // a message was too big: final
	CloseInternal       CloseCode = 1011 // server failure: reconnect
	CloseServiceRestart CloseCode = 1012 // the server is restarting: reconnect
	CloseTryAgainLater  CloseCode = 1013 // the server is overloaded: reconnect
)

// Reconnect reports whether the code means "come back later" (1001, 1002,
// 1011, 1012, 1013): the client reconnects and resumes the session, and if
// the server lost it, goes on with a new one (ErrSessionLost). Every other
// code, application codes included, ends the client for good.
func (c CloseCode) Reconnect() bool {
	switch c {
	case CloseGoingAway, CloseProtocolError, CloseInternal, CloseServiceRestart, CloseTryAgainLater:
		return true
	}
	return false
}

// String is the code and its meaning, e.g. "1001 (going away)".
func (c CloseCode) String() string {
	names := map[CloseCode]string{
		CloseNormal: "normal", CloseGoingAway: "going away", CloseProtocolError: "protocol error",
		ClosePolicy: "policy", CloseTooBig: "too big", CloseInternal: "internal error",
		CloseServiceRestart: "service restart", CloseTryAgainLater: "try again later",
	}
	if n, ok := names[c]; ok {
		return xfmt.Sprintf("%d (%s)", int(c), n)
	}
	return xfmt.Sprint(int(c))
}

// serverError makes the public error of a server's error object.
func serverError(tr string, a wire.Error, err error) *ServerError {
	status := a.Status
	if status == 0 {
		status = wire.StatusOf(a.Code)
	}
	if status == 0 {
		status = 500 // Internal Server Error
	}
	return &ServerError{Transport: tr, Code: a.Code, Status: status, Message: a.Message,
		Retry: time.Duration(a.Retry) * time.Millisecond, Err: err}
}
