package client

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/tether-sdk/tether/internal/xfmt"
	"github.com/tether-sdk/tether/transport"
)

// Errors, matched with errors.Is.
var (
	// ErrClosed: the client is closed, by Close or for good by the server
	// (then errors.As gives a *CloseError) or after a permanent error (joined
	// to ErrClosed in the error Send, Receive and Flush return).
	ErrClosed = errors.New("tether: client closed")
	// ErrQueueFull: Send waited for room in the send queue
	// (Options.MaxQueuedBytes) until its context ended.
	ErrQueueFull = errors.New("tether: send queue full")
	// ErrTooLarge: a message is larger than the limit (Options.MaxMessageBytes
	// or the server's).
	ErrTooLarge = errors.New("tether: message too large")
	// ErrInvalidText: a text message is not valid UTF-8.
	ErrInvalidText = errors.New("tether: text message is not valid UTF-8; send it as binary")
	// ErrSessionLost: the server no longer knew the session (it expired, or
	// the server restarted and lost its state). Receive returns it once, as
	// a *SessionLostError, and SessionLostEvent.Cause matches it; the client
	// goes on with a new session.
	ErrSessionLost = errors.New("tether: session lost")
)

// Attempt is one try of one transport during a connect.
type Attempt struct {
	Transport string
	Elapsed   time.Duration
	Err       error
}

// maxCause bounds each attempt's cause in ConnectError's message.
const maxCause = 240

// ConnectError reports a connect in which every transport failed, or that
// the caller's context ended, with each attempt and why.
type ConnectError struct {
	Attempts []Attempt
}

func (e *ConnectError) Error() string {
	var b strings.Builder
	b.WriteString("tether: could not connect:")
	for _, a := range e.Attempts {
		xfmt.Fprintf(&b, " %s failed after %v: %s;", a.Transport, a.Elapsed.Round(time.Millisecond), shorten(a.Err.Error(), maxCause))
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Class is ClassCanceled when the caller's context ended the connect; else
// the attempts' class when they all agree (ClassRefused: every transport was
// refused on the way), and ClassNetwork otherwise (the client retries with
// backoff).
func (e *ConnectError) Class() transport.Class {
	if len(e.Attempts) == 0 {
		return transport.ClassNetwork
	}
	for _, a := range e.Attempts {
		if errors.Is(a.Err, context.Canceled) || errors.Is(a.Err, context.DeadlineExceeded) {
			return transport.ClassCanceled
		}
	}
	c := transport.Classify(e.Attempts[0].Err)
	for _, a := range e.Attempts[1:] {
		if transport.Classify(a.Err) != c {
			return transport.ClassNetwork
		}
	}
	return c
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
// speak it. It is permanent (transport.ClassProtocol).
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

// Class is transport.ClassProtocol: retrying cannot help.
func (e *ProtocolError) Class() transport.Class { return transport.ClassProtocol }

// CloseError reports that the server closed the session with a close frame.
// When Code.Reconnect() it is the cause of a DisconnectedEvent and the client
// reconnects; otherwise the client is closed for good.
type CloseError struct {
	Code   CloseCode
	Reason string
}

func (e *CloseError) Error() string {
	if e.Code.Reconnect() {
		return xfmt.Sprintf("tether: the server went away: %v %s; reconnecting", e.Code, e.Reason)
	}
	return xfmt.Sprintf("tether: session closed by the server: %d %s", int(e.Code), e.Reason)
}

// Is makes errors.Is(err, ErrClosed) true for a final close.
func (e *CloseError) Is(target error) bool { return target == ErrClosed && !e.Code.Reconnect() }

// SessionLostError is what Receive returns once when the session was lost
// (see ErrSessionLost, which it matches) and SessionLostEvent.Cause.
// Messages received before it belong to the old session, those after it to
// the new one.
type SessionLostError struct {
	// Unacknowledged is how many messages were sent but not acknowledged
	// by the server: they may or may not have arrived and are not sent
	// again (SessionLostEvent lists them).
	Unacknowledged int
	// Err is the server's answer (a *ServerError with CodeSessionNotFound).
	Err error
}

func (e *SessionLostError) Error() string {
	return xfmt.Sprintf("tether: session lost (the server no longer knew it); %d message(s) sent were not acknowledged and may not have arrived, "+
		"messages from the server not yet received are lost; continuing on a new session", e.Unacknowledged)
}

// Is makes errors.Is(err, ErrSessionLost) true.
func (e *SessionLostError) Is(target error) bool { return target == ErrSessionLost }

func (e *SessionLostError) Unwrap() error { return e.Err }

// shorten bounds s to n bytes (on a rune boundary), without session ids.
func shorten(s string, n int) string {
	s = scrub(s)
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// scrub removes the session's id and key from URLs quoted in an error
// (tether_sid=..., tether_key=...).
func scrub(s string) string {
	for _, p := range []string{"tether_sid=", "tether_key="} {
		for from := 0; ; {
			i := strings.Index(s[from:], p)
			if i < 0 {
				break
			}
			i += from + len(p)
			j := i
			for j < len(s) && !strings.ContainsRune("&\" \t\n;)", rune(s[j])) {
				j++
			}
			s = s[:i] + "…" + s[j:]
			from = i
		}
	}
	return s
}
