package wire

import "errors"

// Sentinel errors, matched with errors.Is against a [*FormatError].
var (
	// ErrMalformed: the input is not a valid frame of this protocol version
	// (a server answers bad_request), or a frame to encode is not valid.
	ErrMalformed = errors.New("tether/wire: malformed frame")
	// ErrTooLarge: a payload is larger than the caller's limit, or a batch
	// has more frames than allowed (a server answers message_too_large).
	ErrTooLarge = errors.New("tether/wire: frame too large")
)

// Encoding names used in [FormatError].
const (
	EncodingWebSocket = "websocket"
	EncodingJSON      = "json"
)

// FormatError reports input that could not be parsed, or a frame that could
// not be encoded, and says what was wrong.
type FormatError struct {
	Encoding string // EncodingWebSocket or EncodingJSON
	Reason   string // what was wrong, e.g. "text data frame: seq has a leading zero"
	Err      error  // ErrMalformed or ErrTooLarge
}

// Error returns "tether/wire: <encoding>: <reason>".
func (e *FormatError) Error() string {
	return "tether/wire: " + e.Encoding + ": " + e.Reason
}

// Unwrap returns ErrMalformed or ErrTooLarge.
func (e *FormatError) Unwrap() error { return e.Err }

func malformed(enc, reason string) error {
	return &FormatError{Encoding: enc, Reason: reason, Err: ErrMalformed}
}

func tooLarge(enc, reason string) error {
	return &FormatError{Encoding: enc, Reason: reason, Err: ErrTooLarge}
}
