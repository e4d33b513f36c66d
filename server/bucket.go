package server

import "time"

// bucket is a token bucket: rate tokens a second, holding at most burst.
// It is not safe for concurrent use; its owner locks.
type bucket struct {
	tokens float64
	last   time.Time
}

// take spends one token if there is one. Otherwise it reports how long
// until there will be.
func (b *bucket) take(now time.Time, rate, burst float64) (ok bool, wait time.Duration) {
	if b.last.IsZero() {
		b.tokens = burst
	} else if d := now.Sub(b.last); d > 0 {
		b.tokens = min(burst, b.tokens+d.Seconds()*rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// full reports whether the bucket has refilled, as of now (an idle entry
// that can be forgotten).
func (b *bucket) full(now time.Time, rate, burst float64) bool {
	return b.tokens+now.Sub(b.last).Seconds()*rate >= burst
}
