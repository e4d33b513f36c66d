package fallback

import (
	"sync"

	"github.com/tether-sdk/tether/internal/wire"
)

// streamQueueFrames bounds the frames the SSE stream reader parses ahead of
// Recv: when that many wait, the reader stops reading until Recv takes them.
// Recv takes them all at once and returns them one by one, while the reader
// fills the queue again: a link holds at most 2*streamQueueFrames parsed
// frames (each within the link's message limit).
const streamQueueFrames = 16

// queue hands frames to Recv, all that wait at once: Recv takes the whole
// queue in one lock, so a burst of frames costs one hand-over (and at most
// one wake-up) rather than a lock or a channel operation per frame. Its
// users are the SSE stream (its reader goroutine puts, bounded by
// streamQueueFrames, then ends the queue) and the answers of sends (Send
// pushes them, unbounded: they are a few small frames per request). Recv
// (one goroutine, as link.Link requires) is the only one to take.
type queue struct {
	max int // put refuses a frame when this many wait; 0: no bound

	mu     sync.Mutex
	frames []wire.Frame // not yet taken
	done   bool         // the queue ended: err says why
	err    error

	ready chan struct{} // capacity 1: a token when frames goes from empty to not, or done
	room  chan struct{} // capacity 1: a token when Recv took the frames

	// Recv's side, not locked: the frames taken and the next to return.
	took []wire.Frame
	next int
}

// newQueue returns a queue of at most max frames (0: no bound).
func newQueue(max int) *queue {
	return &queue{max: max, ready: make(chan struct{}, 1), room: make(chan struct{}, 1)}
}

// put queues f and reports whether there was room; when there was not, the
// caller waits for a token on q.room and tries again.
func (q *queue) put(f wire.Frame) bool {
	q.mu.Lock()
	if q.max > 0 && len(q.frames) >= q.max {
		q.mu.Unlock()
		return false
	}
	q.frames = append(q.frames, f)
	first := len(q.frames) == 1
	q.mu.Unlock()
	if first {
		signal(q.ready)
	}
	return true
}

// push queues frames, whatever the bound.
func (q *queue) push(frames []wire.Frame) {
	if len(frames) == 0 {
		return
	}
	q.mu.Lock()
	first := len(q.frames) == 0
	q.frames = append(q.frames, frames...)
	q.mu.Unlock()
	if first {
		signal(q.ready)
	}
}

// end records why the frames ended; take returns err once the frames before
// it are taken.
func (q *queue) end(err error) {
	q.mu.Lock()
	q.done, q.err = true, err
	q.mu.Unlock()
	signal(q.ready)
}

// take returns the next frame: from those taken before, else from the
// queue. ok is false when none waits; then done says whether the queue
// ended, with err.
func (q *queue) take() (f wire.Frame, ok, done bool, err error) {
	if q.next < len(q.took) {
		f = q.took[q.next]
		q.took[q.next] = wire.Frame{} // the payload is the caller's now
		q.next++
		return f, true, false, nil
	}
	q.mu.Lock()
	// Swap the slices: the putter fills the one Recv emptied.
	q.took, q.frames = q.frames, q.took[:0]
	done, err = q.done, q.err
	q.mu.Unlock()
	q.next = 0
	if len(q.took) == 0 {
		return wire.Frame{}, false, done, err
	}
	signal(q.room)
	f = q.took[0]
	q.took[0] = wire.Frame{}
	q.next = 1
	return f, true, false, nil
}

// signal leaves a token in c, a channel of capacity 1, unless one is there.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
