package wire

import "strconv"

// Kind is a frame's type: the one ASCII character that starts the frame in
// both encodings.
type Kind byte

// Frame kinds.
const (
	KindHello      Kind = 'h' // client to server, first WebSocket message: attach or resume ([Hello])
	KindWelcome    Kind = 'w' // server to client: the session's parameters ([Welcome])
	KindText       Kind = 'm' // data, both ways: Seq and UTF-8 text in Data
	KindBinary     Kind = 'b' // data, both ways: Seq and bytes in Data
	KindAck        Kind = 'a' // both ways: cumulative ack in Seq
	KindPing       Kind = 'p' // both ways: the sender's ack in Seq; answered with a pong
	KindPong       Kind = 'q' // both ways: the sender's ack in Seq
	KindUpgrade    Kind = 'u' // client to server on a probe WebSocket: the client's ack in Seq
	KindClose      Kind = 'c' // both ways: ends the session ([Close])
	KindError      Kind = 'e' // server to client, then the transport is closed ([Error])
	KindSuperseded Kind = 's' // server to client on a transport another one replaced; no fields
)

// String returns the kind's name ("hello", "text", ...), or "Kind(0xNN)" for
// a byte that is not a kind.
func (k Kind) String() string {
	switch k {
	case KindHello:
		return "hello"
	case KindWelcome:
		return "welcome"
	case KindText:
		return "text"
	case KindBinary:
		return "binary"
	case KindAck:
		return "ack"
	case KindPing:
		return "ping"
	case KindPong:
		return "pong"
	case KindUpgrade:
		return "upgrade"
	case KindClose:
		return "close"
	case KindError:
		return "error"
	case KindSuperseded:
		return "superseded"
	}
	const hex = "0123456789abcdef"
	return "Kind(0x" + string([]byte{hex[k>>4], hex[k&15]}) + ")"
}

// Frame is one protocol frame. Which fields are used depends on Kind; the
// others are ignored when encoding and left zero when parsing.
//
//	Kind                        fields
//	KindText, KindBinary        Seq (>= 1), Data
//	KindAck, KindPing,
//	KindPong, KindUpgrade       Seq (the ack value, 0 = nothing received yet)
//	KindHello                   Hello
//	KindWelcome                 Welcome
//	KindClose                   Close
//	KindError                   Error
//	KindSuperseded              none
type Frame struct {
	Kind Kind
	// Seq is the data sequence number (1, 2, 3, ...) of a text or binary
	// frame, or the cumulative ack carried by an ack, ping, pong or upgrade.
	Seq uint64
	// Data is the payload of a text frame (valid UTF-8) or a binary frame.
	// After parsing it may alias the parsed buffer (see ParseWS, ParseJSON).
	Data []byte

	Hello   *Hello   // KindHello
	Welcome *Welcome // KindWelcome
	Close   *Close   // KindClose
	Error   *Error   // KindError
}

// Hello is the first message a client sends on a WebSocket: it starts a new
// session (no SID), resumes one (SID, Key and Ack), or probes a WebSocket
// for an upgrade from a fallback transport (Probe).
type Hello struct {
	V     int    `json:"v"`               // protocol version, >= 1 (this package: Version)
	SID   string `json:"sid,omitempty"`   // session to resume; empty for a new session
	Key   string `json:"key,omitempty"`   // the session's resume secret
	Ack   uint64 `json:"ack,omitempty"`   // the client's recv; absent means 0
	Probe bool   `json:"probe,omitempty"` // probe for an upgrade; the fallback stays active until KindUpgrade
}

// Welcome is the server's answer to an attach: it names the session and
// carries the parameters the client must follow. Times are milliseconds.
type Welcome struct {
	V          int      `json:"v"`               // protocol version, >= 1
	SID        string   `json:"sid"`             // session id, never empty
	Key        string   `json:"key,omitempty"`   // resume secret, only in the welcome of a new session
	Resumed    bool     `json:"resumed"`         // true when an existing session was resumed
	Probe      bool     `json:"probe,omitempty"` // answer to a probe hello
	Ack        uint64   `json:"ack"`             // the server's recv: the client resends every frame above it
	HB         int64    `json:"hb"`              // heartbeat interval (ms)
	Timeout    int64    `json:"timeout"`         // silence after which a connection is dead (ms)
	TTL        int64    `json:"ttl"`             // how long a detached session survives (ms)
	Max        int64    `json:"max"`             // largest data payload, in bytes, either way
	Poll       int64    `json:"poll"`            // longest hold of a long-poll (ms)
	Buf        int64    `json:"buf,omitempty"`   // the server's send window: payload bytes it keeps unacked per session (0: not said)
	Transports []string `json:"transports"`      // transports the server allows (TransportWebSocket, ...)
}

// Close ends a session. Code follows WebSocket close codes (see
// [CloseNormal]); 4000-4999 are free for applications.
type Close struct {
	Code   int    `json:"code"`   // MinCloseCode..MaxCloseCode
	Reason string `json:"reason"` // human-readable; keep it within 123 bytes to fit a WebSocket close frame
}

// Error is an error answer: the body of an HTTP error response and the
// object of an error frame, after which the server closes the transport.
type Error struct {
	Code     string `json:"code"`               // one of the Code* constants; never empty
	Message  string `json:"message"`            // human-readable detail
	Status   int    `json:"status,omitempty"`   // the HTTP status of Code (see StatusOf); 0 if absent
	Versions []int  `json:"versions,omitempty"` // unsupported_version: the versions the server speaks
	Retry    int64  `json:"retry,omitempty"`    // too_many_*: wait at least this long (ms) before retrying
}

// Error codes, the Code of an [Error].
const (
	CodeBadRequest         = "bad_request"         // 400: malformed request or frame, or a protocol violation
	CodeUnsupportedVersion = "unsupported_version" // 400: version not spoken; Error.Versions lists those that are
	CodeUnauthorized       = "unauthorized"        // 401: the application refused the client's credentials
	CodeForbiddenOrigin    = "forbidden_origin"    // 403: the Origin is not allowed
	CodeTransportDisabled  = "transport_disabled"  // 404: this transport is switched off on the server
	CodeSessionNotFound    = "session_not_found"   // 410: unknown, expired or wrong key (indistinguishable)
	CodeMessageTooLarge    = "message_too_large"   // 413: a payload or a body is over the limit
	CodeTooManySessions    = "too_many_sessions"   // 429: the server will not start another session now
	CodeTooManyPolls       = "too_many_polls"      // 429: the session polls faster than allowed
	CodeInternal           = "internal"            // 500: server failure
)

// StatusOf returns the HTTP status of an error code, 400 for bad_request and
// so on, or 0 for a code this version does not define.
func StatusOf(code string) int {
	switch code {
	case CodeBadRequest, CodeUnsupportedVersion:
		return 400
	case CodeUnauthorized:
		return 401
	case CodeForbiddenOrigin:
		return 403
	case CodeTransportDisabled:
		return 404
	case CodeSessionNotFound:
		return 410
	case CodeMessageTooLarge:
		return 413
	case CodeTooManySessions, CodeTooManyPolls:
		return 429
	case CodeInternal:
		return 500
	}
	return 0
}

// appendUint appends the decimal form of v.
func appendUint(dst []byte, v uint64) []byte { return strconv.AppendUint(dst, v, 10) }

// parseUint parses a decimal number in the strict form of the protocol: one
// or more ASCII digits, no sign, no leading zero (except "0" itself), no
// more than fits in a uint64.
func parseUint(b []byte) (uint64, string) {
	if len(b) == 0 {
		return 0, "number is missing"
	}
	if b[0] == '0' && len(b) > 1 {
		return 0, "number has a leading zero"
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, "number has a character that is not a digit"
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, "number does not fit in 64 bits"
		}
		n = n*10 + d
	}
	return n, ""
}
