//go:build js

package client

import "time"

// expBackoff is the reconnect and probe schedule (backoff.go).
type expBackoff = stepBackoff

// newBackoff returns the reconnect schedule: exponential from initial to
// max, never giving up (MaxAttempts is counted separately); jitter applies
// in full on top (fullJitter).
func newBackoff(initial, max time.Duration) *expBackoff { return newStepBackoff(initial, max) }
