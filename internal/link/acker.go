package link

import (
	"sync"
	"time"
)

// Acker carries a link's acks by the link's policy: it keeps the highest
// recv the client reported (Acked) and sends it with send, at most once per
// interval (0: as soon as possible), so that a burst of messages costs one
// ack. Links that send frames anyway take the pending ack with them (Take),
// which saves a write or a request.
//
// An idle Acker holds no goroutine: one is started (or a timer set) when
// there is an ack to send, and ends when there is none left. Stop waits for
// it; send returning an error (a dead link) stops the Acker too. Acked, Take
// and Stop are safe for concurrent use.
type Acker struct {
	interval time.Duration
	delay    time.Duration // NewDelayedAcker: how long an ack may wait for a write to ride in
	every    uint64        // NewDelayedAcker: unacked frames that send an ack at once
	amount   int64         // SetAmount: received payload bytes that send an ack at once
	send     func(recv uint64) error

	mu         sync.Mutex
	want, sent uint64
	got        int64       // payload bytes received since the last ack was taken (Received)
	last       time.Time   // when the last ack was sent
	busy       bool        // a flush is scheduled or running
	stopped    bool        // Stop was called, or send failed
	timer      *time.Timer // the scheduled flush, when paced
	wg         sync.WaitGroup
}

// NewAcker returns an Acker; send carries one ack frame (Kind a, Seq recv).
func NewAcker(interval time.Duration, send func(recv uint64) error) *Acker {
	return &Acker{interval: interval, send: send}
}

// NewDelayedAcker returns an Acker that lets an ack wait up to delay for a
// frame the link writes anyway (Take), and sends it alone after delay, or at
// once when every frames are unacknowledged (PROTOCOL.md 4.4: within 50 ms
// or after 64 frames). Ping-pong traffic then carries its acks in its data
// writes. An idle delayed Acker holds a stopped timer at most, no goroutine.
func NewDelayedAcker(delay time.Duration, every uint64, send func(recv uint64) error) *Acker {
	return &Acker{delay: delay, every: max(every, 1), send: send}
}

// SetAmount makes a paced Acker send an ack at once, whatever its interval,
// when at least n payload bytes arrived (Received) since the last ack: a
// sender whose window is 2n bytes then never waits for the interval (SSE,
// PROTOCOL.md 4.4). n <= 0: by time only. Call it before the first Acked.
func (a *Acker) SetAmount(n int64) {
	a.mu.Lock()
	a.amount = n
	a.mu.Unlock()
}

// Received counts n payload bytes that arrived, for SetAmount; the ack
// that covers them is still given by Acked.
func (a *Acker) Received(n int) {
	a.mu.Lock()
	a.got += int64(n)
	a.mu.Unlock()
}

// enough reports whether the ack should go at once: enough frames
// (NewDelayedAcker) or enough bytes (SetAmount) wait.
func (a *Acker) enoughLocked() bool {
	return (a.delay > 0 && a.want-a.sent >= a.every) || (a.amount > 0 && a.got >= a.amount)
}

// Acked records the client's recv; a lower value than before is ignored.
func (a *Acker) Acked(recv uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if recv > a.want {
		a.want = recv
	}
	if a.stopped || a.want <= a.sent {
		return
	}
	if !a.busy {
		a.busy = true
		a.scheduleLocked()
		return
	}
	if a.enoughLocked() && a.timer != nil && a.timer.Stop() {
		// Enough frames wait: send now rather than at the delay's end.
		a.timer = nil
		a.wg.Done()
		a.scheduleLocked()
	}
}

// Take returns the recv not yet sent, if any, and counts it as sent: the
// caller puts an ack frame with it before the frames it is sending.
func (a *Acker) Take() (uint64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.takeLocked()
}

func (a *Acker) takeLocked() (uint64, bool) {
	if a.want > a.sent {
		a.sent = a.want
		a.got = 0
		return a.want, true
	}
	return 0, false
}

// Stop ends the Acker and waits for a send in progress. It must not be
// called from send.
func (a *Acker) Stop() {
	a.mu.Lock()
	a.stopped = true
	if a.timer != nil && a.timer.Stop() {
		a.busy = false
		a.wg.Done() // the scheduled flush will not run
	}
	a.mu.Unlock()
	a.wg.Wait()
}

// scheduleLocked starts a flush now, or when the interval since the last
// ack has passed.
func (a *Acker) scheduleLocked() {
	a.wg.Add(1)
	var d time.Duration
	if a.interval > 0 && !a.last.IsZero() {
		d = a.interval - time.Since(a.last)
	}
	if a.delay > 0 {
		d = a.delay
	}
	if a.enoughLocked() {
		d = 0
	}
	if d <= 0 {
		go a.flush()
		return
	}
	a.timer = time.AfterFunc(d, a.flush)
}

// flush sends the pending ack, then the next one while there is one (after
// the interval when paced).
func (a *Acker) flush() {
	defer a.wg.Done()
	a.mu.Lock()
	defer a.mu.Unlock()
	for {
		recv, ok := a.takeLocked()
		if a.stopped || !ok {
			a.busy = false
			return
		}
		a.mu.Unlock()
		err := a.send(recv)
		a.mu.Lock()
		a.last = time.Now()
		if err != nil {
			a.stopped, a.busy = true, false
			return
		}
		if a.want > a.sent && (a.interval > 0 || a.delay > 0) {
			a.scheduleLocked() // still busy
			return
		}
	}
}
