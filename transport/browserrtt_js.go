//go:build js && wasm

package transport

import (
	"syscall/js"
	"time"
)

// browserRTT is the round trip a browser WebSocket attempt reports as sent
// (link.Attach.Sent), as it starts: the browser shows neither its TCP and
// TLS handshakes nor the moment the upgrade request leaves. It is twice the
// browser's estimate of the network's round trip (navigator.connection.rtt,
// Chromium's Network Information API), so that the client's pace of a few
// round trips also covers the handshakes before the request; 0 where the
// browser gives no estimate. The client paces by it only while its session
// has measured no round trip of its own (acks and pongs), and does not
// remember it; with neither, RaceDelay paces.
func browserRTT() time.Duration {
	nav := js.Global().Get("navigator")
	if nav.Type() != js.TypeObject {
		return 0
	}
	conn := nav.Get("connection")
	if conn.Type() != js.TypeObject {
		return 0
	}
	rtt := conn.Get("rtt")
	if rtt.Type() != js.TypeNumber || rtt.Float() <= 0 || rtt.Float() > 10_000 {
		return 0
	}
	return 2 * time.Duration(rtt.Float()*float64(time.Millisecond))
}
