//go:build !js

package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// refusingTarget answers every WebSocket upgrade with 400 (a proxy dropped
// the Upgrade header: the answer to a plain request) at /custom, and
// other requests there with 200, over TLS. The 400 closes the connection
// (as nginx's does), so the fallback opens another (a refusal that leaves
// it open lends it to the fallback: spare_test.go).
func refusingTarget(t *testing.T, p pki) *targetServer {
	t.Helper()
	return newTarget(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			w.Header().Set("Connection", "close")
			http.Error(w, "not a websocket request", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "ok")
	}))
}

// A refused upgrade followed by a fallback request costs a resumed TLS
// handshake, not a full one: the Dialer's transports share one session cache
// (the default one, no Config.TLSSessionCache). The resumed session's peer
// certificates and verified chains are there, and the pins are checked on it.
func TestFallbackAfterRefusedUpgradeResumesTLS(t *testing.T) {
	p := newPKI(t)
	ts := refusingTarget(t, p)
	d := mustDialer(t, ts.wsURL("/custom"), &Config{RootCAs: p.ca.Pool(), Pins: []Pin{{Hash: SPKIPin(p.leaf.Cert)}}})
	_, _, err := d.dialWebSocket(context.Background(), nil)
	var he *HandshakeError
	if !errors.As(err, &he) || he.StatusCode != http.StatusBadRequest {
		t.Fatalf("upgrade: %v, want a 400 HandshakeError", err)
	}
	var seen tls.ConnectionState
	resp, err := d.HTTPClient().Get(ts.URL + "/custom")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	seen = *resp.TLS
	if !seen.DidResume {
		t.Fatal("the fallback's TLS handshake did not resume the upgrade's session")
	}
	if len(seen.PeerCertificates) == 0 || len(seen.VerifiedChains) == 0 {
		t.Fatalf("resumed session: %d peer certificates, %d verified chains; pins need them", len(seen.PeerCertificates), len(seen.VerifiedChains))
	}
}

// Pins are checked on a resumed fallback connection: a Dialer with a wrong
// pin sharing the cache (Config.TLSSessionCache) of one that connected fails
// with a pin mismatch although the session would resume.
func TestFallbackResumedSessionStillPinned(t *testing.T) {
	p := newPKI(t)
	ts := refusingTarget(t, p)
	cache := tls.NewLRUClientSessionCache(4)
	good := mustDialer(t, ts.wsURL("/custom"), &Config{RootCAs: p.ca.Pool(), TLSSessionCache: cache, Pins: []Pin{{Hash: SPKIPin(p.leaf.Cert)}}})
	var he *HandshakeError
	if _, _, err := good.dialWebSocket(context.Background(), nil); !errors.As(err, &he) || he.StatusCode != http.StatusBadRequest {
		t.Fatalf("upgrade: %v, want a 400 HandshakeError", err)
	}
	resp, err := good.HTTPClient().Get(ts.URL + "/custom")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !resp.TLS.DidResume {
		t.Fatal("no resumption: the test proves nothing")
	}
	bad := mustDialer(t, ts.wsURL("/custom"), &Config{RootCAs: p.ca.Pool(), TLSSessionCache: cache, Pins: []Pin{{Hash: SPKIPin(p.ca.Cert)[:7] + strings.Repeat("A", 43) + "="}}})
	_, err = bad.HTTPClient().Get(ts.URL + "/custom")
	if !errors.Is(err, ErrPinMismatch) {
		t.Fatalf("resumed fallback session with a wrong pin: got %v, want pin mismatch", err)
	}
}
