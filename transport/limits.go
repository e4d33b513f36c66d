package transport

import (
	"errors"

	"github.com/tether-sdk/tether/internal/xfmt"
)

// Fixed bounds on what the client reads from the network before it knows the
// answer is Tether's. The bounds that follow the message size (SSE lines and
// events, poll answers, WebSocket messages) belong to the callers' options;
// see the package documentation, "Limits".
const (
	// MaxHandshakeAnswer bounds what dialWebSocket reads of the server's
	// answer to the upgrade request before the WebSocket is open: the status
	// line and the headers (and, for a refusal, the first bytes of its
	// body). A longer answer fails the dial with a *LimitError.
	MaxHandshakeAnswer = 64 << 10

	// MaxResponseHeader bounds the status line and headers of every answer
	// to a request made with Dialer.HTTPClient (the SSE and long-poll
	// requests): it is the client's http.Transport.MaxResponseHeaderBytes.
	// A longer header fails the request; Dialer.HTTPError turns that
	// failure into a *LimitError.
	MaxResponseHeader = 64 << 10
)

// ErrLimit matches every *LimitError: the server, or something on the way,
// sent more than the client reads.
var ErrLimit = errors.New("tether/transport: read limit exceeded")

// LimitError reports an answer from the network that exceeded a bound the
// client puts on what it reads, so that a broken or hostile server cannot
// make it buffer without end. The client stopped reading at Limit bytes and
// dropped the connection.
type LimitError struct {
	Transport string // "websocket", "sse" or "longpoll"
	What      string // what was too long, e.g. "the answer to the upgrade (status line and headers)"
	Limit     int64  // the bound in bytes
	// Fix says which setting raises the bound. Empty for a fixed bound,
	// which no legitimate server comes near.
	Fix string
	Err error // the underlying error, if any (e.g. an ErrTooLarge of the wire or sse package)
}

func (e *LimitError) Error() string {
	s := xfmt.Sprintf("tether/transport: %s: %s exceeded %d bytes", e.Transport, e.What, e.Limit)
	if e.Fix != "" {
		return s + "; " + e.Fix
	}
	return s + " (a fixed limit that no Tether server comes near: the server, or something on the way, is broken or hostile)"
}

func (e *LimitError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }
