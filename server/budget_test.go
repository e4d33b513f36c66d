package server

import "testing"

// granted reports whether t's bytes were reserved (its channel closed).
func granted(t *ticket) bool {
	select {
	case <-t.ready:
		return true
	default:
		return false
	}
}

// queue takes n bytes of b, which must not fit: the ticket is queued.
func queue(t *testing.T, b *budget, n int64) *ticket {
	t.Helper()
	ok, tk := b.take(n)
	if ok || tk == nil || granted(tk) {
		t.Fatalf("take(%d) with %d of %d in use and %d waiting: want a queued ticket", n, b.inUse(), b.max, b.waiting())
	}
	return tk
}

func wantUse(t *testing.T, b *budget, used int64, waiting int) {
	t.Helper()
	if u, w := b.inUse(), b.waiting(); u != used || w != waiting {
		t.Fatalf("in use %d with %d waiting, want %d with %d", u, w, used, waiting)
	}
}

// Waiters are granted in arrival order; a head that does not fit holds back
// smaller ones behind it, and newcomers queue behind them too.
func TestBudgetFIFO(t *testing.T) {
	b := newBudget(10)
	if !b.tryTake(10) {
		t.Fatal("tryTake of the whole budget refused")
	}
	a, c := queue(t, b, 8), queue(t, b, 2)
	b.release(4) // 6 free: a does not fit, and c, which would, waits behind it
	if granted(a) || granted(c) {
		t.Fatal("granted past a head that does not fit")
	}
	wantUse(t, b, 6, 2)
	if b.tryTake(1) {
		t.Fatal("tryTake went past queued waiters")
	}
	d := queue(t, b, 1) // fits, but others wait first
	b.release(4)        // 8 free: a fits (and only a)
	if !granted(a) || granted(c) || granted(d) {
		t.Fatalf("after 8 bytes freed: granted a %v, c %v, d %v; want a alone", granted(a), granted(c), granted(d))
	}
	wantUse(t, b, 10, 2)
	if !b.claim(a) {
		t.Fatal("claim of a granted ticket failed")
	}
	b.cancel(a) // after claim: nothing
	wantUse(t, b, 10, 2)
	b.release(3) // c and d both fit, in order
	if !granted(c) || !granted(d) {
		t.Fatal("c and d not granted once they fit")
	}
	wantUse(t, b, 10, 0)
	b.claim(c)
	b.claim(d)
	b.release(10)
	wantUse(t, b, 0, 0)
}

// A canceled queued head lets those behind it through; a canceled granted
// ticket gives its bytes back (to the next in line).
func TestBudgetCancel(t *testing.T) {
	b := newBudget(10)
	b.tryTake(10)
	a, c, d := queue(t, b, 9), queue(t, b, 3), queue(t, b, 4)
	b.release(4)
	if b.claim(a) {
		t.Fatal("claim of a queued ticket succeeded")
	}
	b.cancel(a) // c fits in the 4 free bytes, d then does not
	if !granted(c) || granted(d) {
		t.Fatalf("after the head left: c granted %v, d %v; want c alone", granted(c), granted(d))
	}
	wantUse(t, b, 9, 1)
	b.cancel(c) // its 3 bytes go back: d fits now
	if !granted(d) {
		t.Fatal("d not granted once c gave its bytes back")
	}
	wantUse(t, b, 10, 0) // 6 taken + 4 of d
	b.cancel(d)
	b.cancel(d) // twice: nothing
	b.cancel(nil)
	wantUse(t, b, 6, 0)
	e := queue(t, b, 5)
	b.cancel(e) // not the head of a stuck queue: nothing granted, nothing left
	wantUse(t, b, 6, 0)
	b.release(6)
	wantUse(t, b, 0, 0)
}

// A take larger than the whole budget is granted once nothing else is
// reserved, and holds back the waiters behind it meanwhile.
func TestBudgetOversized(t *testing.T) {
	b := newBudget(10)
	if ok, _ := b.take(15); !ok {
		t.Fatal("take(15) of an empty budget of 10 refused")
	}
	if b.tryTake(1) {
		t.Fatal("tryTake with the budget overdrawn")
	}
	b.release(15)
	b.tryTake(5)
	big, small := queue(t, b, 15), queue(t, b, 1)
	b.release(4)
	if granted(big) || granted(small) {
		t.Fatal("granted while 1 byte is still reserved")
	}
	b.release(1)
	if !granted(big) || granted(small) {
		t.Fatal("the oversized head not granted alone once the budget was empty")
	}
	wantUse(t, b, 15, 1)
	b.cancel(big)
	if !granted(small) {
		t.Fatal("the next waiter not granted once the oversized one gave its bytes back")
	}
	b.cancel(small)
	wantUse(t, b, 0, 0)
}
