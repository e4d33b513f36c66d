package fallback

import (
	"context"
	"sync"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// base is what the SSE and long-poll links share: the session's requester
// and welcome, the link's life, sending, and closing.
type base struct {
	r       *requester
	welcome *wire.Welcome
	closedE error // errClosed(name)

	// ctx lives as long as the link; die cancels it with the reason the
	// link is dead, which aborts every outstanding request.
	ctx context.Context
	die context.CancelCauseFunc

	closeOnce sync.Once
	closed    chan struct{} // closed by Close
	mu        sync.Mutex    // orders spawn against Close
	closing   bool
	wg        sync.WaitGroup // the link's goroutines

	sendMu sync.Mutex  // one request of Send at a time (the client's, or an ack)
	acks   *link.Acker // nil: acks travel in the requests (long-polling)

	answers *queue // frames of send answers, for Recv (no bound)
}

// newBase returns the base of a link whose life is ctx, ended by die.
func newBase(r *requester, w *wire.Welcome, ctx context.Context, die context.CancelCauseFunc) base {
	return base{
		r:       r,
		welcome: w,
		closedE: errClosed(r.name),
		ctx:     ctx,
		die:     die,
		closed:  make(chan struct{}),
		answers: newQueue(0),
	}
}

// Transport returns wire.TransportSSE or wire.TransportPoll.
func (b *base) Transport() string { return b.r.name }

// Welcome returns the welcome that opened the link.
func (b *base) Welcome() *wire.Welcome { return b.welcome }

// Send POSTs frames (several bodies, one after another, when they are over
// the body limits) and returns once the server answered; the answers' frames
// come out of Recv. Callers send one batch at a time. An error kills the
// link, except when ctx ended first: then the link stays usable and the
// frames may or may not have arrived (a resend is harmless).
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
	b.r.log.Debug("tether: send failed; the link is dead", "transport", b.r.name, "sid", b.r.sid, "err", err)
	b.die(err)
	return err
}

// Close ends the link: outstanding requests are cancelled, pending and later
// calls return an error matching net.ErrClosed, and Close returns once the
// link's goroutines have ended. It is idempotent and always returns nil.
// The session is not ended.
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

// spawn runs f in a goroutine of the link, unless the link is closing.
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
