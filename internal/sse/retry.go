package sse

import "time"

// maxRetryMillis is the largest whole number of milliseconds a
// time.Duration holds.
const maxRetryMillis = int64(1<<63-1) / int64(time.Millisecond)

// parseRetry interprets a "retry" value: one or more ASCII digits, a
// number of milliseconds. Anything else (including an empty value, a sign
// or spaces) is not valid and the field is ignored. Values too large for a
// time.Duration saturate at about 292 years.
func parseRetry(b []byte) (time.Duration, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var ms int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if ms <= maxRetryMillis {
			ms = ms*10 + int64(c-'0')
		}
	}
	ms = min(ms, maxRetryMillis)
	return time.Duration(ms) * time.Millisecond, true
}
