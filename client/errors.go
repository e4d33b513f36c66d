package client

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors, matched with errors.Is.
var (
	// ErrClosed: the client was closed (by Close, by the server, or after a
	// permanent error, which Err reports).
	ErrClosed = errors.New("tether: client closed")
	// ErrQueueFull: Send waited for room in the send queue
	// (Options.MaxQueuedBytes) until its context ended.
	ErrQueueFull = errors.New("tether: send queue full")
	// ErrTooLarge: a message is larger than the limit (Options.MaxMessageBytes
	// or the server's).
	ErrTooLarge = errors.New("tether: message too large")
	// ErrInvalidText: a text message is not valid UTF-8.
	ErrInvalidText = errors.New("tether: text message is not valid UTF-8; send it as binary")
	// ErrSessionLost: the server no longer knew the session (it expired or the
	// server lost its state); see SessionLostEvent for the messages that could
	// not be guaranteed.
	ErrSessionLost = errors.New("tether: session lost")
)

// Attempt is one try of one transport during a connect.
type Attempt struct {
	Transport string
	Elapsed   time.Duration
	Err       error
}

// ConnectError reports a connect in which every transport failed, with each
// attempt and why.
type ConnectError struct {
	Attempts []Attempt
}

func (e *ConnectError) Error() string {
	var b strings.Builder
	b.WriteString("tether: could not connect:")
	for _, a := range e.Attempts {
		fmt.Fprintf(&b, " %s failed after %v: %v;", a.Transport, a.Elapsed.Round(time.Millisecond), a.Err)
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Unwrap returns every attempt's error, so errors.Is and errors.As look at
// all of them.
func (e *ConnectError) Unwrap() []error {
	out := make([]error, 0, len(e.Attempts))
	for _, a := range e.Attempts {
		out = append(out, a.Err)
	}
	return out
}

// ProtocolError reports a server that broke the Tether protocol or does not
// speak it. It is permanent.
type ProtocolError struct {
	Reason string
	Err    error
}

func (e *ProtocolError) Error() string {
	if e.Err != nil {
		return "tether: protocol error: " + e.Reason + ": " + e.Err.Error()
	}
	return "tether: protocol error: " + e.Reason
}

func (e *ProtocolError) Unwrap() error { return e.Err }

// CloseError reports that the server closed the session.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("tether: session closed by the server: %d %s", e.Code, e.Reason)
}

// Is makes errors.Is(err, ErrClosed) true.
func (e *CloseError) Is(target error) bool { return target == ErrClosed }
