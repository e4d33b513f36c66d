package server

import (
	"errors"
	"fmt"
)

// Errors returned by Session methods, matched with errors.Is.
var (
	// ErrClosed: the session was closed (by either side); errors.As gives a
	// *CloseError with the code and reason.
	ErrClosed = errors.New("tether/server: session closed")
	// ErrExpired: the client did not come back within the session TTL.
	ErrExpired = errors.New("tether/server: session expired (the client did not come back within the session TTL)")
	// ErrTooLarge: a message is larger than Options.MaxMessageBytes.
	ErrTooLarge = errors.New("tether/server: message larger than MaxMessageBytes")
	// ErrInvalidText: a text message is not valid UTF-8.
	ErrInvalidText = errors.New("tether/server: text message is not valid UTF-8; send it as binary")
	// ErrShutdown: the Handler was shut down.
	ErrShutdown = errors.New("tether/server: handler shut down")
	// ErrMoved: with Options.Shared, another node owns the session now (this
	// one shut down, or lost its lease); the session goes on there.
	ErrMoved = errors.New("tether/server: the session moved to another node")
)

// CloseError reports how a session was closed.
type CloseError struct {
	Code     int    // WebSocket-style close code (1000 normal, 4000-4999 application)
	Reason   string // the closer's reason
	ByClient bool   // true when the client closed the session
}

func (e *CloseError) Error() string {
	who := "server"
	if e.ByClient {
		who = "client"
	}
	return fmt.Sprintf("tether/server: session closed by the %s: %d %s", who, e.Code, e.Reason)
}

// Is makes errors.Is(err, ErrClosed) true.
func (e *CloseError) Is(target error) bool { return target == ErrClosed }
