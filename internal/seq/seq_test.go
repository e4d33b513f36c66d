package seq

import (
	"errors"
	"testing"
)

func TestOutboxAckAndReplay(t *testing.T) {
	var o Outbox
	for i := 0; i < 100; i++ {
		m := o.Push(i%2 == 1, []byte{byte(i), 1})
		if m.Seq != uint64(i+1) {
			t.Fatalf("seq %d, want %d", m.Seq, i+1)
		}
	}
	if o.Len() != 100 || o.Bytes() != 200 || o.Last() != 100 {
		t.Fatalf("len %d bytes %d last %d", o.Len(), o.Bytes(), o.Last())
	}
	if err := o.Ack(60); err != nil {
		t.Fatal(err)
	}
	if err := o.Ack(10); err != nil { // late, smaller ack: ignored
		t.Fatal(err)
	}
	if o.Len() != 40 || o.Bytes() != 80 || o.Acked() != 60 {
		t.Fatalf("after ack: len %d bytes %d acked %d", o.Len(), o.Bytes(), o.Acked())
	}
	got := o.From(nil, 55, 0) // from below the ack: starts at the first unacked
	if len(got) != 40 || got[0].Seq != 61 || got[39].Seq != 100 {
		t.Fatalf("From(55): %d msgs from %d", len(got), got[0].Seq)
	}
	got = o.From(nil, 90, 5) // bounded: stops once 5 bytes are reached
	if len(got) != 3 || got[0].Seq != 90 {
		t.Fatalf("From(90, 5 bytes): %d msgs", len(got))
	}
	if got := o.From(nil, 101, 0); len(got) != 0 {
		t.Fatalf("From beyond last: %d msgs", len(got))
	}
	if err := o.Ack(101); !errors.Is(err, ErrAckAhead) {
		t.Fatalf("ack ahead: %v", err)
	}
	if err := o.Ack(100); err != nil || o.Len() != 0 || o.Bytes() != 0 {
		t.Fatalf("ack all: %v len %d", err, o.Len())
	}
	m := o.Push(false, []byte("x"))
	if m.Seq != 101 || len(o.From(nil, 1, 0)) != 1 {
		t.Fatal("push after full ack")
	}
}

func TestReceiver(t *testing.T) {
	var r Receiver
	steps := []struct {
		seq  uint64
		want Verdict
	}{{1, Deliver}, {1, Duplicate}, {3, Gap}, {2, Deliver}, {3, Deliver}, {2, Duplicate}, {10, Gap}}
	for _, s := range steps {
		if got := r.Accept(s.seq); got != s.want {
			t.Fatalf("Accept(%d) = %v, want %v", s.seq, got, s.want)
		}
	}
	if r.Recv() != 3 {
		t.Fatalf("recv %d", r.Recv())
	}
}

func TestSignal(t *testing.T) {
	var s Signal
	s.Broadcast() // nobody waits: nothing to do
	w1 := s.Wait()
	w2 := s.Wait()
	select {
	case <-w1:
		t.Fatal("woken before Broadcast")
	default:
	}
	s.Broadcast()
	<-w1
	<-w2
	s.Done(w1)
	s.Done(w2)
	w3 := s.Wait() // a channel given back: no token left in it
	select {
	case <-w3:
		t.Fatal("a new wait saw the old Broadcast")
	default:
	}
	s.Done(w3) // gave up without a Broadcast
	s.Broadcast()
	w4 := s.Wait()
	select {
	case <-w4:
		t.Fatal("a wait saw a Broadcast from before it")
	default:
	}
	s.Broadcast()
	<-w4
	s.Done(w4)
	// A steady wait loop allocates nothing.
	if n := testing.AllocsPerRun(100, func() {
		w := s.Wait()
		s.Broadcast()
		<-w
		s.Done(w)
	}); n != 0 {
		t.Errorf("Wait, Broadcast, Done: %v allocs, want 0", n)
	}
	// A waiter that gave up without Done is dropped at the next Broadcast.
	s.Wait()
	s.Broadcast()
	if len(s.waiters) != 0 {
		t.Errorf("%d waiters after Broadcast", len(s.waiters))
	}
}

func TestOutboxBytesThrough(t *testing.T) {
	var o Outbox
	for _, n := range []int{10, 20, 30} {
		o.Push(false, make([]byte, n))
	}
	for _, c := range []struct {
		n    uint64
		want int
	}{{0, 0}, {1, 10}, {2, 30}, {3, 60}, {9, 60}} {
		if got := o.BytesThrough(c.n, 0); got != c.want {
			t.Errorf("BytesThrough(%d) = %d, want %d", c.n, got, c.want)
		}
	}
	if err := o.Ack(1); err != nil {
		t.Fatal(err)
	}
	if got := o.BytesThrough(2, 0); got != 20 {
		t.Errorf("after Ack(1): BytesThrough(2) = %d, want 20", got)
	}
	if got := o.BytesThrough(3, 15); got != 20 {
		t.Errorf("BytesThrough(3, 15) = %d, want 20 (it stops at the first total >= 15)", got)
	}
}
