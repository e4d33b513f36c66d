package transport

import (
	"testing"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/urlx"
)

// The WebSocket upgrade of a new session names its attempt (PROTOCOL.md
// 4.8); a resume, or an attach without an id, goes to the URL as it is.
func TestAttemptURL(t *testing.T) {
	u, _ := urlx.Parse("wss://h.example/live?room=42")
	for _, tc := range []struct {
		a    link.Attach
		want string
	}{
		{link.Attach{Attempt: "AAAAAAAAAAAAAAAAAAAAAA"}, "wss://h.example/live?room=42&tether_attempt=AAAAAAAAAAAAAAAAAAAAAA"},
		{link.Attach{SID: "s", Attempt: "AAAAAAAAAAAAAAAAAAAAAA"}, "wss://h.example/live?room=42"},
		{link.Attach{}, "wss://h.example/live?room=42"},
	} {
		if got := attemptURL(targetURLOf(u), tc.a); got != tc.want {
			t.Errorf("attemptURL(%+v) = %s, want %s", tc.a, got, tc.want)
		}
	}
}
