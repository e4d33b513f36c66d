//go:build !js

package transport

import "time"

// RTT is the round trip last measured by the handshakes of a connection
// this Dialer opened (TCP connect, or a proxy's CONNECT exchange, and TLS:
// the longest of them), 0 before its first connection. The client paces
// its race of the next transport by it (link.Attach.Sent).
func (d *Dialer) RTT() time.Duration { return time.Duration(d.rtt.Load()) }

// noteRTT records the round trip of a new connection: the longest of its
// handshake phases (each about one round trip: TCP's SYN, TLS 1.3's hello).
func (d *Dialer) noteRTT(phases ...time.Duration) time.Duration {
	rtt := time.Duration(0)
	for _, p := range phases {
		rtt = max(rtt, p)
	}
	if rtt > 0 {
		d.rtt.Store(int64(rtt))
	}
	return rtt
}

// sentHook is the call of sent (link.Attach.Sent) with rtt once the
// upgrade request is written; nil when sent is nil.
func sentHook(sent func(time.Duration), rtt time.Duration) func() {
	if sent == nil {
		return nil
	}
	return func() { sent(rtt) }
}
