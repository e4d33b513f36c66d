package sse

import (
	"errors"
	"strconv"
)

// Sentinel errors. Errors returned by this package wrap one of them (or an
// error of the underlying reader or writer), so test with errors.Is.
var (
	// ErrTooLarge means a line or an event's data exceeded the Reader's
	// limits (see Options).
	ErrTooLarge = errors.New("tether/sse: too large")

	// ErrInvalid means a value cannot be represented in an event stream,
	// so the writer refused to encode it.
	ErrInvalid = errors.New("tether/sse: value cannot be represented")
)

// Error describes a failure of a Reader or of the writer functions.
type Error struct {
	// Op is "read" or "write".
	Op string

	// Field names what was wrong: "line" or "data" for ErrTooLarge, the
	// field ("id", "event", "data", "retry") for ErrInvalid, and "" for
	// errors of the underlying reader or writer.
	Field string

	// Limit is the limit that was exceeded, for ErrTooLarge; otherwise 0.
	Limit int

	// Reason explains an ErrInvalid; otherwise "".
	Reason string

	// Err is ErrTooLarge, ErrInvalid, or the underlying I/O error.
	Err error
}

// Error implements the error interface. The message is the package
// prefix "tether/sse: " followed by Op, Field and what went wrong.
func (e *Error) Error() string {
	s := "tether/sse: " + e.Op
	if e.Field != "" {
		s += " " + e.Field
	}
	switch {
	case e.Err == ErrTooLarge:
		return s + ": exceeds " + strconv.Itoa(e.Limit) + " bytes"
	case e.Err == ErrInvalid:
		return s + ": " + e.Reason
	case e.Err == nil:
		return s + ": unknown error"
	default:
		return s + ": " + e.Err.Error()
	}
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }
