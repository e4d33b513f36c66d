//go:build js

package link

// ErrDeadlineExceeded is what a link that heard nothing within its
// liveness deadline wraps: errors.Is matches it against
// os.ErrDeadlineExceeded, as natively (deadline.go).
var ErrDeadlineExceeded error = deadlineError{}
