//go:build !js

package transport

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/link"
)

// Issue 15: an upgrade reports its request on the wire once, with the
// round trip its handshakes measured, and the Dialer remembers it; the
// HTTP client's connections measure theirs too.
func TestUpgradeSentWithRTT(t *testing.T) {
	p := newPKI(t)
	ts := newTarget(t, p, nil)
	d := mustDialer(t, ts.wsURL("/ws"), &Config{RootCAs: p.ca.Pool()})
	if d.RTT() != 0 {
		t.Fatalf("RTT %v before any connection", d.RTT())
	}
	var calls []time.Duration
	c, _, err := d.dialWebSocket(context.Background(), &wsOptions{
		Subprotocols: []string{"tether.v1"},
		Attach:       link.Attach{Sent: func(rtt time.Duration) { calls = append(calls, rtt) }},
	})
	if err != nil {
		t.Fatal(err)
	}
	echo(t, c) // writes after the upgrade do not report again
	if len(calls) != 1 || calls[0] <= 0 || calls[0] != d.RTT() {
		t.Fatalf("Sent calls %v, Dialer RTT %v: want one call with the measured round trip", calls, d.RTT())
	}
	d2 := mustDialer(t, ts.wsURL("/ws"), &Config{RootCAs: p.ca.Pool()})
	resp, err := d2.HTTPClient().Get(ts.URL + "/plain")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || d2.RTT() <= 0 {
		t.Fatalf("status %d, RTT %v after an HTTP request", resp.StatusCode, d2.RTT())
	}
}
