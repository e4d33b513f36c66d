package fallback

import (
	"context"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/link"
)

// Issue 15: an SSE attach reports its stream request on the wire once
// (link.Attach.Sent), with rtt 0: it does not see the request's connection.
func TestSSEReportsSent(t *testing.T) {
	var calls []time.Duration
	c := fakeConfig(t, func(_ context.Context, q *request) (*answer, error) {
		if len(calls) != 1 {
			t.Errorf("%d Sent calls before the answer, want 1", len(calls))
		}
		return okAnswer("text/event-stream", "data: "+fakeWelcome+"\n\n"), nil
	})
	l, err := attachSSE(context.Background(), c, link.Attach{Sent: func(rtt time.Duration) { calls = append(calls, rtt) }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if len(calls) != 1 || calls[0] != 0 {
		t.Fatalf("Sent calls %v, want one with rtt 0", calls)
	}
}
