package client

import "time"

// stepBackoff is the schedule cenkalti/backoff's ExponentialBackOff follows
// as newBackoff configures it natively (no randomization, no elapsed-time
// limit, multiplier 2): initial, doubling, capped at max. The browser build
// uses it (backoff_js.go): the package draws a random number on every step
// even with no randomization, which links math/rand into the bundle.
// TestStepBackoffMatches holds the steps equal.
type stepBackoff struct {
	initial, max, cur time.Duration
}

func newStepBackoff(initial, max time.Duration) *stepBackoff {
	return &stepBackoff{initial: initial, max: max, cur: initial}
}

// NextBackOff returns the current step and doubles the next, up to max.
func (b *stepBackoff) NextBackOff() time.Duration {
	d := b.cur
	if float64(b.cur) >= float64(b.max)/2 {
		b.cur = b.max
	} else {
		b.cur *= 2
	}
	return d
}

// Reset starts the schedule over.
func (b *stepBackoff) Reset() { b.cur = b.initial }
