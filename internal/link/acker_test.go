package link

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// recorder is an ack sink.
type recorder struct {
	mu   sync.Mutex
	sent []uint64
}

func (r *recorder) send(recv uint64) error {
	r.mu.Lock()
	r.sent = append(r.sent, recv)
	r.mu.Unlock()
	return nil
}

func (r *recorder) got() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sent)
}

// TestAckerPaces: a burst costs one ack; with an interval, a second burst
// waits out the interval and sends only the latest recv.
func TestAckerPaces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		a := NewAcker(250*time.Millisecond, r.send)
		defer a.Stop()
		a.Acked(1)
		synctest.Wait()
		a.Acked(2)
		a.Acked(3)
		a.Acked(2) // lower: ignored
		synctest.Wait()
		if got := r.got(); !slices.Equal(got, []uint64{1}) {
			t.Fatalf("before the interval: %v, want [1]", got)
		}
		time.Sleep(250 * time.Millisecond)
		synctest.Wait()
		if got := r.got(); !slices.Equal(got, []uint64{1, 3}) {
			t.Fatalf("after the interval: %v, want [1 3]", got)
		}
	})
}

// TestAckerTake: an ack taken by a sender is not sent again.
func TestAckerTake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		a := NewAcker(time.Second, r.send)
		a.Acked(4)
		synctest.Wait()
		a.Acked(5)
		if recv, ok := a.Take(); !ok || recv != 5 {
			t.Fatalf("Take = %d, %v; want 5, true", recv, ok)
		}
		if _, ok := a.Take(); ok {
			t.Fatal("Take twice returned an ack")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		a.Stop()
		if got := r.got(); !slices.Equal(got, []uint64{4}) {
			t.Fatalf("sent %v, want [4]", got)
		}
	})
}

// TestAckerIdleHoldsNoGoroutine: once its acks are out, an Acker holds no
// goroutine or timer (synctest fails the test if one is left blocked), so
// an idle connection costs no stack for its acks.
func TestAckerIdleHoldsNoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		a := NewAcker(250*time.Millisecond, r.send)
		a.Acked(1)
		synctest.Wait()
		a.Acked(2) // paced: sent 250 ms after the first
		time.Sleep(time.Second)
		synctest.Wait()
		if got := r.got(); !slices.Equal(got, []uint64{1, 2}) {
			t.Fatalf("sent %v, want [1 2]", got)
		}
		// No Stop: nothing may be left running.
	})
}

// TestAckerStopCancelsAPacedAck: Stop with an ack waiting for its interval
// drops it and returns at once.
func TestAckerStopCancelsAPacedAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		a := NewAcker(time.Second, r.send)
		a.Acked(1)
		synctest.Wait()
		a.Acked(2)
		a.Stop()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if got := r.got(); !slices.Equal(got, []uint64{1}) {
			t.Fatalf("sent %v, want [1]", got)
		}
		a.Acked(3) // after Stop: ignored
		synctest.Wait()
		if got := r.got(); !slices.Equal(got, []uint64{1}) {
			t.Fatalf("sent %v after Stop, want [1]", got)
		}
	})
}

// TestDelayedAcker: an ack waits up to the delay for a write to ride in
// (Take), goes alone at the delay's end, and at once when `every` frames are
// unacknowledged.
func TestDelayedAcker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		a := NewDelayedAcker(20*time.Millisecond, 4, r.send)
		defer a.Stop()
		a.Acked(1)
		synctest.Wait()
		if got := r.got(); len(got) != 0 {
			t.Fatalf("before the delay: sent %v, want nothing", got)
		}
		if recv, ok := a.Take(); !ok || recv != 1 {
			t.Fatalf("Take = %d, %v; want 1, true (the ack rides along)", recv, ok)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if got := r.got(); len(got) != 0 {
			t.Fatalf("an ack taken was sent again: %v", got)
		}

		a.Acked(2)
		time.Sleep(19 * time.Millisecond)
		synctest.Wait()
		if got := r.got(); len(got) != 0 {
			t.Fatalf("before the delay: sent %v", got)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if got := r.got(); !slices.Equal(got, []uint64{2}) {
			t.Fatalf("at the delay: sent %v, want [2]", got)
		}

		a.Acked(3)
		a.Acked(5)
		synctest.Wait()
		if got := r.got(); !slices.Equal(got, []uint64{2}) {
			t.Fatalf("3 frames unacked: sent %v, want [2]", got)
		}
		a.Acked(6) // 4 unacked: at once
		synctest.Wait()
		if got := r.got(); !slices.Equal(got, []uint64{2, 6}) {
			t.Fatalf("4 frames unacked: sent %v, want [2 6]", got)
		}
	})
}

// TestAckerAmount: a paced Acker with SetAmount sends at once, before the
// interval has passed, once that many bytes arrived; fewer bytes wait for
// the interval.
func TestAckerAmount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		a := NewAcker(250*time.Millisecond, r.send)
		a.SetAmount(1000)
		defer a.Stop()
		a.Received(10)
		a.Acked(1) // the first ack goes at once
		synctest.Wait()
		a.Received(500)
		a.Acked(2) // 500 bytes: waits for the interval
		synctest.Wait()
		if got := r.got(); !slices.Equal(got, []uint64{1}) {
			t.Fatalf("after 500 bytes: acks %v, want [1]", got)
		}
		a.Received(600)
		a.Acked(3) // 1100 bytes since the last ack: at once
		synctest.Wait()
		if got := r.got(); !slices.Equal(got, []uint64{1, 3}) {
			t.Fatalf("after 1100 bytes: acks %v, want [1 3]", got)
		}
		a.Received(1000)
		a.Acked(4) // right after an ack: the amount still sends at once
		synctest.Wait()
		a.Received(10)
		a.Acked(5) // a few bytes: paced
		synctest.Wait()
		if got := r.got(); !slices.Equal(got, []uint64{1, 3, 4}) {
			t.Fatalf("acks %v, want [1 3 4]", got)
		}
		time.Sleep(250 * time.Millisecond)
		synctest.Wait()
		if got := r.got(); !slices.Equal(got, []uint64{1, 3, 4, 5}) {
			t.Fatalf("after the interval: acks %v, want [1 3 4 5]", got)
		}
	})
}
