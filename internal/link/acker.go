package link

import (
	"sync"
	"time"
)

// Acker carries a link's acks by the link's policy: it keeps the highest
// recv the client reported (Acked) and sends it with send from one
// goroutine, at most once per interval (0: as soon as possible), so that a
// burst of messages costs one ack. Links that send frames anyway take the
// pending ack with them (Take), which saves a write or a request.
//
// Stop ends the goroutine; send returning an error (a dead link) ends it
// too. Acked, Take and Stop are safe for concurrent use.
type Acker struct {
	interval time.Duration
	send     func(recv uint64) error

	mu         sync.Mutex
	want, sent uint64

	kick    chan struct{}
	done    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// NewAcker starts an Acker; send carries one ack frame (Kind a, Seq recv).
func NewAcker(interval time.Duration, send func(recv uint64) error) *Acker {
	a := &Acker{interval: interval, send: send, kick: make(chan struct{}, 1),
		done: make(chan struct{}), stopped: make(chan struct{})}
	go a.run()
	return a
}

// Acked records the client's recv; a lower value than before is ignored.
func (a *Acker) Acked(recv uint64) {
	a.mu.Lock()
	if recv > a.want {
		a.want = recv
	}
	a.mu.Unlock()
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// Take returns the recv not yet sent, if any, and counts it as sent: the
// caller puts an ack frame with it before the frames it is sending.
func (a *Acker) Take() (uint64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.want > a.sent {
		a.sent = a.want
		return a.want, true
	}
	return 0, false
}

// Stop ends the goroutine and waits for it. It must not be called from send.
func (a *Acker) Stop() {
	a.once.Do(func() { close(a.done) })
	<-a.stopped
}

func (a *Acker) run() {
	defer close(a.stopped)
	var last time.Time
	for {
		select {
		case <-a.done:
			return
		case <-a.kick:
		}
		if a.interval > 0 && !last.IsZero() {
			if d := a.interval - time.Since(last); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-a.done:
					t.Stop()
					return
				case <-t.C:
				}
			}
		}
		recv, ok := a.Take()
		if !ok {
			continue
		}
		if a.send(recv) != nil {
			return
		}
		last = time.Now()
	}
}
