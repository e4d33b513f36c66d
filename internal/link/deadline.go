package link

// deadlineError is ErrDeadlineExceeded in the browser build
// (deadline_js.go), which must not import package os: os's files, and
// syscall's emulation of a file system under them, cost the bundle about
// 20 kB of gzip. It reads and behaves as os.ErrDeadlineExceeded.
type deadlineError struct{}

func (deadlineError) Error() string   { return "i/o timeout" }
func (deadlineError) Timeout() bool   { return true }
func (deadlineError) Temporary() bool { return true }

// Is makes errors.Is(err, os.ErrDeadlineExceeded) hold, as it does
// natively: os.ErrDeadlineExceeded is the error that says "i/o timeout" and
// is a timeout (its type is internal to the standard library).
func (deadlineError) Is(target error) bool {
	t, ok := target.(interface{ Timeout() bool })
	return ok && t.Timeout() && target.Error() == "i/o timeout"
}
