package transport

import "time"

// On a WebSocket link (native and browser), an ack waits up to wsAckDelay
// for data to ride in, or goes at once when wsAckEvery frames are
// unacknowledged (PROTOCOL.md 4.4 recommends 50 ms and 64; the server uses
// the same values).
const (
	wsAckDelay = 20 * time.Millisecond
	wsAckEvery = 64
)
