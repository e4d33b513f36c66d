//go:build js && wasm

package fallback

import (
	"context"
	"sync"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// base is what the SSE and long-poll links share: the requester, the
// welcome, the link's life (ctx, ended by die with the reason), sending,
// the frames of send answers, and closing.
type base struct {
	r       *requester
	welcome *wire.Welcome
	closedE error

	ctx context.Context
	die context.CancelCauseFunc

	closeOnce sync.Once
	closed    chan struct{}
	mu        sync.Mutex
	closing   bool
	wg        sync.WaitGroup

	sendMu sync.Mutex  // one request of Send at a time (the client's, or an ack)
	acks   *link.Acker // nil: acks travel in the requests (long-polling)

	answers queue
}

func newBase(r *requester, w *wire.Welcome, ctx context.Context, die context.CancelCauseFunc) base {
	return base{r: r, welcome: w, closedE: errClosed(r.name), ctx: ctx, die: die,
		closed: make(chan struct{}), answers: queue{ready: make(chan struct{}, 1)}}
}

func (b *base) Transport() string      { return b.r.name }
func (b *base) Welcome() *wire.Welcome { return b.welcome }

// Send POSTs frames and returns once the server answered; the answers'
// frames come out of Recv. An error kills the link unless ctx ended first.
func (b *base) Send(ctx context.Context, frames []wire.Frame) error {
	if b.isClosed() {
		return b.closedE
	}
	if cause := context.Cause(b.ctx); cause != nil {
		return cause
	}
	if len(frames) == 0 {
		return nil
	}
	b.sendMu.Lock()
	defer b.sendMu.Unlock()
	if b.acks != nil {
		if recv, ok := b.acks.Take(); ok {
			frames = append([]wire.Frame{{Kind: wire.KindAck, Seq: recv}}, frames...)
		}
	}
	rctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(b.ctx, func() { cancel(context.Cause(b.ctx)) })
	answers, err := b.r.send(rctx, frames)
	stop()
	cancel(nil)
	b.answers.push(answers)
	switch {
	case err == nil:
		return nil
	case b.isClosed():
		return b.closedE
	case b.ctx.Err() != nil:
		return context.Cause(b.ctx)
	case ctx.Err() != nil:
		return ctx.Err()
	}
	b.die(err)
	return err
}

// Close aborts every outstanding request and waits for the link's
// goroutines. It does not end the session.
func (b *base) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closing = true
		b.mu.Unlock()
		close(b.closed)
		b.die(b.closedE)
		if b.acks != nil {
			b.acks.Stop()
		}
		b.wg.Wait()
	})
	return nil
}

// pacedAcks makes the link send acks as POSTs of their own, at most one per
// interval, or with the client's next POST (SSE).
func (b *base) pacedAcks(interval time.Duration) {
	b.acks = link.NewAcker(interval, func(recv uint64) error {
		return b.Send(b.ctx, []wire.Frame{{Kind: wire.KindAck, Seq: recv}})
	})
}

func (b *base) isClosed() bool {
	select {
	case <-b.closed:
		return true
	default:
		return false
	}
}

func (b *base) spawn(f func()) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing {
		return false
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		f()
	}()
	return true
}

// queue is an unbounded FIFO of the few frames of send answers.
type queue struct {
	mu     sync.Mutex
	frames []wire.Frame
	ready  chan struct{}
}

func (q *queue) push(frames []wire.Frame) {
	if len(frames) == 0 {
		return
	}
	q.mu.Lock()
	q.frames = append(q.frames, frames...)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *queue) pop() (wire.Frame, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.frames) == 0 {
		return wire.Frame{}, false
	}
	f := q.frames[0]
	q.frames[0] = wire.Frame{}
	q.frames = q.frames[1:]
	return f, true
}
