package hostile

import (
	"net"
	"testing"
	"time"
)

// A connection dialled as the tracker shuts down is closed and refused, not
// deadlocked on the tracker's lock (its Close untracks it under that lock).
func TestTrackerAddAfterShutdown(t *testing.T) {
	tr := newTracker()
	tr.shutdown()
	a, b := net.Pipe()
	defer b.Close()
	done := make(chan bool, 1)
	go func() { done <- tr.add(&trackedConn{Conn: a, t: tr}) }()
	select {
	case ok := <-done:
		if ok {
			t.Fatal("a connection was tracked after shutdown")
		}
	case <-time.After(30 * time.Second): // a hang detector, not a timing assertion
		t.Fatal("add after shutdown deadlocked")
	}
	if _, err := a.Write([]byte("x")); err == nil {
		t.Fatal("the refused connection is still open")
	}
}
