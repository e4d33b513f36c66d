package link

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
)

// TestDeadlineErrorIsOSDeadline: the browser build's ErrDeadlineExceeded
// reads as os.ErrDeadlineExceeded and matches it (also wrapped), and
// matches no other error.
func TestDeadlineErrorIsOSDeadline(t *testing.T) {
	var err error = deadlineError{}
	if err.Error() != os.ErrDeadlineExceeded.Error() {
		t.Errorf("Error() = %q, os.ErrDeadlineExceeded's: %q", err, os.ErrDeadlineExceeded)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.Is(fmt.Errorf("x: %w", err), os.ErrDeadlineExceeded) {
		t.Error("errors.Is(err, os.ErrDeadlineExceeded) = false")
	}
	if te, ok := err.(interface{ Timeout() bool }); !ok || !te.Timeout() {
		t.Error("not a timeout")
	}
	for _, other := range []error{context.DeadlineExceeded, context.Canceled, io.EOF, os.ErrClosed, errors.New("i/o timeout"), ErrClosed} {
		if errors.Is(err, other) {
			t.Errorf("errors.Is(err, %v) = true", other)
		}
	}
	if !errors.Is(ErrDeadlineExceeded, os.ErrDeadlineExceeded) {
		t.Error("ErrDeadlineExceeded does not match os.ErrDeadlineExceeded")
	}
}
