package client

import (
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// TestStepBackoffMatches: the browser's schedule takes the steps of
// cenkalti/backoff's as newBackoff configures it natively, across resets.
func TestStepBackoffMatches(t *testing.T) {
	for _, c := range []struct{ initial, max time.Duration }{
		{500 * time.Millisecond, 30 * time.Second}, {time.Second, time.Second}, {3 * time.Millisecond, 7 * time.Millisecond},
		{30 * time.Second, 5 * time.Minute}, {time.Nanosecond, time.Hour}, {7, 13}, {2 * time.Second, time.Second},
	} {
		b := backoff.NewExponentialBackOff()
		b.InitialInterval, b.MaxInterval, b.Multiplier, b.RandomizationFactor, b.MaxElapsedTime = c.initial, c.max, 2, 0, 0
		b.Reset()
		s := newStepBackoff(c.initial, c.max)
		for i := range 80 {
			if i == 40 {
				b.Reset()
				s.Reset()
			}
			if want, got := b.NextBackOff(), s.NextBackOff(); got != want {
				t.Fatalf("%v to %v, step %d: %v, cenkalti/backoff %v", c.initial, c.max, i, got, want)
			}
		}
	}
}
