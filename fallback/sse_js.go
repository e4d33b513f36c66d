//go:build js && wasm

package fallback

import (
	"context"
	"io"
	"sync/atomic"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/sse"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/internal/xfmt"
	"github.com/tether-sdk/tether/transport"
)

// sseLink is an SSE stream read from a fetch body, plus send POSTs.
type sseLink struct {
	base
	stream    chan wire.Frame // closed when the stream ends, after streamErr is set
	streamErr error
}

// dialSSE attaches over Server-Sent Events: GET ?tether=sse with a streamed
// body, then the welcome event. No welcome within firstEvent of the fetch
// is ErrNoFirstEvent (a buffering proxy): the client moves on.
func dialSSE(ctx context.Context, t *transport.Target, header transport.Header, max int, firstEvent time.Duration, a link.Attach) (link.Link, error) {
	if a.Probe {
		return nil, xfmt.Errorf("fallback: sse: probes are WebSocket only")
	}
	r := newRequester(wire.TransportSSE, t, header, max, a)
	life, die := context.WithCancelCause(context.Background())
	stopDial := context.AfterFunc(ctx, func() { die(context.Cause(ctx)) })
	const waiting, welcomed, timedOut = 0, 1, 2
	var phase atomic.Int32
	timer := time.AfterFunc(firstEvent, func() {
		if phase.CompareAndSwap(waiting, timedOut) {
			die(ErrNoFirstEvent)
		}
	})
	fail := func(resp *response, err error) (link.Link, error) {
		if phase.Load() == timedOut {
			he := &transport.HandshakeError{Transport: r.name, URL: redacted(r.url(wire.ModeSSE, a.SID != "", a.Ack)),
				Class: transport.ClassRefused, Err: ErrNoFirstEvent}
			if resp != nil {
				he.StatusCode = resp.status
			}
			err = he
		}
		timer.Stop()
		stopDial()
		die(err)
		if resp != nil {
			resp.body.Close()
		}
		return nil, err
	}
	resp, err := r.fetch(life, "GET", wire.ModeSSE, a.SID != "", a.Ack, nil)
	if err != nil {
		return fail(nil, err)
	}
	if !isEventStream(resp.contentType) {
		return fail(resp, r.notTether(resp, xfmt.Errorf("the answer is %q, not an event stream", resp.contentType)))
	}
	ev, err := readFirstEvent(resp.body, int(bodyLimit(r.max)))
	if err != nil {
		if cause := context.Cause(life); cause != nil {
			return fail(resp, cause)
		}
		return fail(resp, r.notTether(resp, xfmt.Errorf("no welcome event: %w", err)))
	}
	f, err := wire.ParseJSON([]byte(ev.Data), int(r.max))
	if err != nil {
		return fail(resp, r.notTether(resp, err))
	}
	w, err := r.checkWelcome(resp, f, a)
	if err != nil {
		return fail(resp, err)
	}
	if !phase.CompareAndSwap(waiting, welcomed) {
		return fail(resp, ErrNoFirstEvent)
	}
	timer.Stop()
	if !stopDial() {
		return fail(resp, context.Cause(ctx))
	}
	r.welcomed(w)

	// The stream's reader, with the welcome's limits, starts right after
	// the welcome.
	limit := int(bodyLimit(r.max))
	rd := sse.NewReader(resp.body, &sse.Options{MaxLineBytes: limit, MaxEventBytes: limit})
	l := &sseLink{base: newBase(r, w, life, die), stream: make(chan wire.Frame, 16)}
	l.pacedAcks(sseAckInterval)
	timeout := r.timeout
	watchdog := time.AfterFunc(timeout, func() { l.die(errSilent(r.name, "no bytes from the stream", timeout)) })
	resp.body.onData = func() { watchdog.Reset(timeout) } // any byte, a heartbeat too, is a sign of life
	if !l.spawn(func() { l.readLoop(resp, rd, watchdog, timeout) }) {
		watchdog.Stop()
		resp.body.Close()
	}
	return l, nil
}

// nextTetherEvent returns the next event of the default type (Tether's).
func nextTetherEvent(rd *sse.Reader) (sse.Event, error) {
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			return ev, xfmt.Errorf("the stream ended: %w", io.ErrUnexpectedEOF)
		}
		if err != nil || ev.Type == sse.DefaultType {
			return ev, err
		}
	}
}

// Recv returns the next frame, from the stream or a send answer.
// sseAckInterval paces acks on SSE, which cost a POST each (or ride on the
// client's next POST).
const sseAckInterval = 250 * time.Millisecond

// Acked sends the client's recv in a POST soon, paced by sseAckInterval.
func (l *sseLink) Acked(recv uint64) { l.acks.Acked(recv) }

func (l *sseLink) Recv(ctx context.Context) (wire.Frame, error) {
	for {
		if l.isClosed() {
			return wire.Frame{}, l.closedE
		}
		if f, ok := l.answers.pop(); ok {
			return f, nil
		}
		select {
		case f, ok := <-l.stream:
			if !ok {
				return wire.Frame{}, l.streamErr
			}
			return f, nil
		case <-l.answers.ready:
		case <-ctx.Done():
			return wire.Frame{}, ctx.Err()
		case <-l.closed:
		}
	}
}

func (l *sseLink) readLoop(resp *response, rd *sse.Reader, watchdog *time.Timer, timeout time.Duration) {
	err := l.readEvents(resp, rd, watchdog, timeout)
	watchdog.Stop()
	resp.body.Close()
	if cause := context.Cause(l.ctx); cause != nil {
		err = cause
	}
	l.streamErr = err
	close(l.stream)
}

func (l *sseLink) readEvents(resp *response, rd *sse.Reader, watchdog *time.Timer, timeout time.Duration) error {
	for {
		ev, err := nextTetherEvent(rd)
		if err != nil {
			return xfmt.Errorf("fallback: sse: reading the stream: %w", err)
		}
		f, err := wire.ParseJSON([]byte(ev.Data), int(l.r.max))
		if err != nil {
			return xfmt.Errorf("fallback: sse: event: %w", err)
		}
		switch f.Kind {
		case wire.KindText, wire.KindBinary, wire.KindAck, wire.KindClose, wire.KindSuperseded:
		case wire.KindError:
			return l.r.frameError(resp, f.Error)
		default:
			return malformedf(l.r.name, "a %s frame on the stream", f.Kind)
		}
		select {
		case l.stream <- f:
			continue
		default:
		}
		// Recv is behind; that silence is not the connection's.
		watchdog.Stop()
		select {
		case l.stream <- f:
			watchdog.Reset(timeout)
		case <-l.ctx.Done():
			return context.Cause(l.ctx)
		}
	}
}
