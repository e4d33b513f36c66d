package fallback

import (
	"mime"
	"testing"
)

// isEventStream agrees with mime.ParseMediaType on every well-formed
// Content-Type.
func TestIsEventStreamAgreesWithMime(t *testing.T) {
	for _, ct := range []string{
		"text/event-stream", "text/event-stream; charset=utf-8", "Text/Event-Stream", " text/event-stream ;x=1",
		"text/event-stream\t", "text/plain", "text/event-streamx", "application/json", "text/html; charset=utf-8",
		"text/event-stream;charset=\"utf-8\"",
	} {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("%q is not well-formed: %v", ct, err)
		}
		if got, want := isEventStream(ct), mt == "text/event-stream"; got != want {
			t.Errorf("isEventStream(%q) = %v, mime says %v", ct, got, want)
		}
	}
}
