package wire

import "time"

// The protocol's defaults and bounds, in one place for every link (native
// and browser) and the client (PROTOCOL.md 8.1, 14).
const (
	// DefaultMax is a data payload's bound when the client sets none and
	// the welcome's max when it gives 0 (1 MiB).
	DefaultMax = 1 << 20
	// DefaultTimeout is a welcome's timeout when it gives 0: no frame or
	// heartbeat within it means the connection is dead.
	DefaultTimeout = 45 * time.Second
	// DefaultPoll is a welcome's poll when it gives 0: how long the server
	// holds a poll.
	DefaultPoll = 25 * time.Second
	// DefaultHandshake bounds an attach: connect, hello and welcome.
	DefaultHandshake = 15 * time.Second
	// DefaultFirstEventWait is how long an SSE attach waits for its welcome
	// event before it is taken for a buffering proxy.
	DefaultFirstEventWait = 3 * time.Second

	// WSOverhead is what a WebSocket message holds beyond its payload: the
	// frame header and the control objects (the read limit is max + 4096).
	WSOverhead = 4096
	// BodySlack is what an HTTP body or answer may hold on top of 6 x max.
	BodySlack = 64 << 10
	// MaxPayloadCap bounds max in BodyLimit, to keep the arithmetic safe.
	MaxPayloadCap = 1 << 30
)

// BodyLimit bounds an HTTP body, a poll answer, an SSE line or event for a
// payload bound of max bytes.
func BodyLimit(max int64) int64 { return 6*min(max, MaxPayloadCap) + BodySlack }

// Millis converts a welcome's milliseconds, def when ms is 0 or less, at
// most 24 hours.
func Millis(ms int64, def time.Duration) time.Duration {
	if ms <= 0 {
		return def
	}
	return time.Duration(min(ms, int64(24*time.Hour/time.Millisecond))) * time.Millisecond
}

// ParseErrorObject parses an HTTP error answer's body as a Tether error
// object, with the strict checks of an error frame's object.
func ParseErrorObject(body []byte) (*Error, bool) {
	if len(body) == 0 {
		return nil, false
	}
	b := make([]byte, 0, len(body)+6)
	b = append(append(append(b, `["e",`...), body...), ']')
	f, err := ParseJSON(b, 0)
	if err != nil {
		return nil, false
	}
	return f.Error, true
}
