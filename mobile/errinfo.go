package mobile

import (
	"errors"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/transport"
)

// Error classes (ErrorInfo.Class): what the app can do about an error.
const (
	ClassNetwork      = "network"      // the network failed; the client retries
	ClassRefused      = "refused"      // the network refused the WebSocket upgrade; the next transport is tried
	ClassUnauthorized = "unauthorized" // the server refused the credentials: new ones are needed
	ClassServer       = "server"       // the server failed or is overloaded; the client retries
	ClassTLS          = "tls"          // TLS verification or a pin failed: permanent
	ClassProxy        = "proxy"        // the proxy failed or refused the tunnel (407: proxy credentials)
	ClassConfig       = "config"       // a setting or URL is wrong: permanent
	ClassCanceled     = "canceled"     // the call was canceled (Close during Connect)
	ClassProtocol     = "protocol"     // the server does not speak Tether: permanent
	ClassSessionLost  = "session_lost" // the server forgot the session; a new one started
	ClassClosed       = "closed"       // the server closed the session, or the client was closed
	ClassPaused       = "paused"       // Pause dropped the connection
	ClassNetChanged   = "network_changed"
	ClassPanic        = "panic" // Go code panicked; recovered (please report it)
)

// ErrorInfo describes an error for a callback: its class, its message, and
// the facts an app can act on.
type ErrorInfo struct {
	class     string
	msg       string
	fatal     bool
	closeCode int
	server    string
	unacked   *MessageList
}

// ErrorClass is one of the Class constants (Class would clash with Java's getClass and class).
func (e *ErrorInfo) ErrorClass() string { return e.class }

// Message says what failed and, when known, what to do.
func (e *ErrorInfo) Message() string { return e.msg }

// Fatal reports that retrying cannot help (a pin, a bad setting, refused
// credentials, a server that does not speak Tether).
func (e *ErrorInfo) Fatal() bool { return e.fatal }

// CloseCode is the server's close code (1000, 1001, 1008, 4xxx) when the
// server closed the session, else 0.
func (e *ErrorInfo) CloseCode() int { return e.closeCode }

// ServerCode is the server's error code ("unauthorized",
// "too_many_sessions", "session_not_found", ...) when the server refused,
// else "".
func (e *ErrorInfo) ServerCode() string { return e.server }

// Unacknowledged lists, for ClassSessionLost, the messages sent that the
// server never acknowledged: they may or may not have arrived, and are not
// sent again. Empty for other classes.
func (e *ErrorInfo) Unacknowledged() *MessageList {
	if e.unacked == nil {
		return &MessageList{}
	}
	return e.unacked
}

// info describes err (nil gives nil).
func info(err error) *ErrorInfo {
	if err == nil {
		return nil
	}
	e := &ErrorInfo{msg: err.Error()}
	var pe *panicError
	var ce *client.CloseError
	var se *client.ServerError
	switch {
	case errors.As(err, &pe):
		e.class = ClassPanic
	case errors.Is(err, client.ErrPaused):
		e.class = ClassPaused
	case errors.Is(err, client.ErrNetworkChanged):
		e.class = ClassNetChanged
	case errors.Is(err, client.ErrSessionLost):
		e.class = ClassSessionLost
	case errors.As(err, &ce):
		e.class, e.closeCode, e.fatal = ClassClosed, int(ce.Code), !ce.Code.Reconnect()
	case errors.Is(err, client.ErrClosed):
		e.class = ClassClosed
	default:
		cl := transport.Classify(err)
		e.class, e.fatal = cl.String(), cl.Permanent() || cl == transport.ClassUnauthorized
	}
	if errors.As(err, &se) {
		e.server = se.Code
	}
	return e
}
