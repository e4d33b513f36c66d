package server

import "sync"

// budget is the memory budget shared by every session of a Handler
// (Options.MaxTotalBufferedBytes): the bytes of buffered messages in both
// directions and of send bodies being read.
type budget struct {
	max int64

	mu   sync.Mutex
	used int64
	wake chan struct{} // closed on the next release; made only when someone waits
}

func newBudget(max int64) *budget { return &budget{max: max} }

// take reserves n bytes if they fit. Otherwise it returns a channel closed
// on the next release, to wait on before trying again.
func (b *budget) take(n int64) (ok bool, wait <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		if b.wake == nil {
			b.wake = make(chan struct{})
		}
		return false, b.wake
	}
	b.used += n
	return true, nil
}

// room reports whether n bytes would fit now, reserving nothing.
// Otherwise it returns a channel closed on the next release.
func (b *budget) room(n int64) (ok bool, wait <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		if b.wake == nil {
			b.wake = make(chan struct{})
		}
		return false, b.wake
	}
	return true, nil
}

// release returns n reserved bytes.
func (b *budget) release(n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	if b.wake != nil {
		close(b.wake)
		b.wake = nil
	}
	b.mu.Unlock()
}

// Used is the number of bytes reserved now.
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
