//go:build !js

package link

import "os"

// ErrDeadlineExceeded is what a link that heard nothing within its
// liveness deadline wraps: os.ErrDeadlineExceeded (the browser build has an
// error that matches it: deadline.go).
var ErrDeadlineExceeded = os.ErrDeadlineExceeded
