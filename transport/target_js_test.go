//go:build js && wasm

package transport

import "testing"

// The browser build's URL keeps every part through targetURLOf and x: the
// string it gives back is the one parsed, user information included.
func TestTargetURLRoundTrip(t *testing.T) {
	tg, err := ParseTarget("wss://ann:s%3Acret@example.com:8443/live/a%2Fb?x=1&y=%20#frag", URLRules{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tg.WS.String(), "wss://ann:s%3Acret@example.com:8443/live/a%2Fb?x=1&y=%20"; got != want {
		t.Errorf("WS %q, want %q", got, want)
	}
	if p, ok := tg.HTTP.User.Password(); tg.HTTP.User.Username() != "ann" || p != "s:cret" || !ok {
		t.Errorf("user %q %q %v", tg.HTTP.User.Username(), p, ok)
	}
	if got := tg.HTTP.Redacted(); got != "https://ann:xxxxx@example.com:8443/live/a%2Fb?x=1&y=%20" {
		t.Errorf("Redacted %q", got)
	}
}
