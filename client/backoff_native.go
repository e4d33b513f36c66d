//go:build !js

package client

import (
	"time"

	"github.com/cenkalti/backoff/v4"
)

// expBackoff is the reconnect and probe schedule (the browser build has
// stepBackoff, with the same steps: backoff.go).
type expBackoff = backoff.ExponentialBackOff

// newBackoff returns the reconnect schedule: exponential from initial to
// max, never giving up (MaxAttempts is counted separately), and without its
// own randomization: jitter applies in full on top (fullJitter).
func newBackoff(initial, max time.Duration) *expBackoff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = initial
	b.MaxInterval = max
	b.Multiplier = 2
	b.RandomizationFactor = 0
	b.MaxElapsedTime = 0
	b.Reset()
	return b
}
