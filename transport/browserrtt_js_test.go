//go:build js && wasm

package transport

import (
	"syscall/js"
	"testing"
	"time"
)

// The WebSocket attempt's reported round trip is twice the browser's
// estimate where there is one, 0 where there is none (so the client falls
// back to what it knows).
func TestBrowserRTT(t *testing.T) {
	g := js.Global()
	saved := g.Get("navigator")
	defer g.Set("navigator", saved)
	obj := func(json string) js.Value { return g.Get("JSON").Call("parse", json) }
	for _, tc := range []struct {
		nav  js.Value
		want time.Duration
	}{
		{js.Undefined(), 0},
		{obj(`{}`), 0},
		{obj(`{"connection":{}}`), 0},
		{obj(`{"connection":{"rtt":0}}`), 0},
		{obj(`{"connection":{"rtt":"50"}}`), 0},
		{obj(`{"connection":{"rtt":50}}`), 100 * time.Millisecond},
		{obj(`{"connection":{"rtt":1e9}}`), 0},
	} {
		g.Set("navigator", tc.nav)
		if got := browserRTT(); got != tc.want {
			t.Errorf("navigator %s: %v, want %v", g.Get("JSON").Call("stringify", tc.nav).String(), got, tc.want)
		}
	}
}
