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

// sseLink is an SSE stream (server to client) plus send POSTs.
type sseLink struct {
	base
	// stream carries the frames the reader goroutine parsed, and why the
	// stream ended.
	stream *queue
}

// attachSSE attaches to a session (a new one when a.SID is empty) over
// Server-Sent Events: GET ?tether=sse, then it waits for the welcome event.
//
// ctx bounds the attach only, not the link. A non-2xx answer is a classified
// *transport.HandshakeError, in a *link.ServerError when it carries a Tether
// error object (for example wire.CodeSessionNotFound on a resume). No
// welcome within c.firstEvent of the request being written (in the browser:
// of fetch being called) is a HandshakeError of class ClassRefused wrapping
// ErrNoFirstEvent.
func attachSSE(ctx context.Context, c *config, a link.Attach) (link.Link, error) {
	if a.Probe {
		return nil, xfmt.Errorf("fallback: sse: probes are WebSocket only")
	}
	r := newRequester(c, wire.TransportSSE, a)

	// The stream request lives as long as the link: life becomes the link's
	// context. Until the welcome, ctx and the first-event timer may end it
	// too; phase makes "welcome arrived", "timer fired" and "dial failed"
	// exclusive.
	life, die := context.WithCancelCause(context.Background())
	stopDial := context.AfterFunc(ctx, func() { die(context.Cause(ctx)) })
	const waiting, welcomed, timedOut, failed = 0, 1, 2, 3
	var phase atomic.Int32
	timer := time.AfterFunc(time.Hour, func() {
		if phase.CompareAndSwap(waiting, timedOut) {
			die(ErrNoFirstEvent)
		}
	})
	timer.Stop()
	fail := func(resp *answer, err error) (link.Link, error) {
		if phase.Swap(failed) == timedOut {
			he := &transport.HandshakeError{
				Transport: r.name, URL: r.base.Redacted(), Class: transport.ClassRefused, Err: ErrNoFirstEvent,
			}
			if resp != nil {
				he.StatusCode, he.Status, he.Header = resp.status, resp.statusLine, resp.header
			}
			err = he
		}
		timer.Stop()
		stopDial()
		die(err)
		if resp != nil {
			resp.body.Close()
		}
		r.log.Debug("tether: sse attach failed", "sid", a.SID, "err", err)
		return nil, err
	}

	sent := sentOnce(a)
	resp, err := r.do(life, "GET", wire.ModeSSE, r.url(wire.ModeSSE, a.SID != "", a.Ack), nil, func() { timer.Reset(c.firstEvent); sent() })
	if err != nil {
		return fail(nil, err)
	}
	if ct := resp.header.Get("Content-Type"); !isEventStream(ct) {
		return fail(resp, r.notTether(resp, xfmt.Errorf("the answer is %q, not an event stream", ct)))
	}
	w, err := r.readWelcome(resp, a, life)
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

	l := &sseLink{base: newBase(r, w, life, die), stream: newQueue(streamQueueFrames)}
	l.pacedAcks(sseAckInterval)
	l.acks.SetAmount(sseAckAmount(w.Buf))
	timeout := millis(w.Timeout, defaultTimeout)
	alive := &aliveReader{r: resp.body, d: timeout}
	alive.t = time.AfterFunc(timeout, func() { l.die(errSilent(r.name, "no bytes from the stream", timeout)) })
	limit := int(bodyLimit(r.max))
	rd := sse.NewReader(alive, &sse.Options{MaxLineBytes: limit, MaxEventBytes: limit})
	l.spawn(func() { l.readLoop(resp, rd, alive) })
	r.log.Debug("tether: sse attached", "sid", w.SID, "resumed", w.Resumed, "ack", w.Ack)
	return l, nil
}

// readWelcome reads the stream's first event, which must be the welcome.
func (r *requester) readWelcome(resp *answer, a link.Attach, life context.Context) (*wire.Welcome, error) {
	ev, err := readFirstEvent(resp.body, int(bodyLimit(r.max)))
	if err != nil {
		if cause := context.Cause(life); cause != nil {
			return nil, cause
		}
		if lerr := r.streamError(err); lerr != err {
			return nil, r.notTether(resp, lerr)
		}
		return nil, r.notTether(resp, xfmt.Errorf("no welcome event: %w", err))
	}
	f, err := wire.ParseJSON([]byte(ev.Data), int(r.max))
	if err != nil {
		return nil, r.notTether(resp, err)
	}
	return r.checkWelcome(resp, f, a)
}

// checkWelcome checks that the first frame f of an attach is a welcome that
// fits the attach.
func (r *requester) checkWelcome(resp *answer, f wire.Frame, a link.Attach) (*wire.Welcome, error) {
	if f.Kind == wire.KindError {
		return nil, r.frameError(resp, f.Error)
	}
	var why string
	switch w := f.Welcome; {
	case f.Kind != wire.KindWelcome:
		why = "the first frame is " + f.Kind.String() + ", not a welcome"
	case w.V != wire.Version:
		why = xfmt.Sprintf("the welcome is for version %d", w.V)
	case a.SID != "" && w.SID != a.SID:
		why = "the welcome is for another session"
	case a.SID == "" && w.Key == "":
		why = "the welcome of a new session has no key"
	}
	if why != "" {
		return nil, r.notTether(resp, malformedf(r.name, "%s", why))
	}
	return f.Welcome, nil
}

// sseAckInterval paces acks on SSE, which cost a POST each (or ride on the
// client's next POST).
const sseAckInterval = 250 * time.Millisecond

// sseAckAmount is how many payload bytes received make the SSE client ack at
// once, whatever sseAckInterval says: half the server's send window (the
// welcome's buf), so the server never waits for an ack with a full window
// while the ack's POST is on its way; a quarter of the default window when
// the server does not say (an older server).
func sseAckAmount(buf int64) int64 {
	if buf <= 0 {
		return defaultSendWindow / 4
	}
	return max(buf/2, 1)
}

// defaultSendWindow is a server's default send window
// (server.DefaultMaxBufferedBytes).
const defaultSendWindow = 4 << 20

// Acked sends the client's recv in a POST soon, paced by sseAckInterval, or
// at once when sseAckAmount bytes arrived since the last ack.
func (l *sseLink) Acked(recv uint64) { l.acks.Acked(recv) }

// Recv returns the next frame: from the stream, or from a send answer. An
// error frame on the stream is returned as a *link.ServerError. The stream
// ending, a read or parse failure, silence for the welcome's timeout, or a
// failed Send make Recv return an error once the frames before it are taken:
// the link is dead. If ctx ends first, Recv returns ctx.Err() and the link
// stays usable.
func (l *sseLink) Recv(ctx context.Context) (wire.Frame, error) {
	for {
		if l.isClosed() {
			return wire.Frame{}, l.closedE
		}
		if f, ok, _, _ := l.answers.take(); ok {
			return f, nil
		}
		f, ok, done, err := l.stream.take()
		if ok {
			if f.Kind == wire.KindText || f.Kind == wire.KindBinary {
				l.acks.Received(len(f.Data))
			}
			return f, nil
		}
		if done {
			return wire.Frame{}, err
		}
		select {
		case <-l.stream.ready:
		case <-l.answers.ready:
		case <-ctx.Done():
			return wire.Frame{}, ctx.Err()
		case <-l.closed:
		}
	}
}

// readLoop reads the stream until it ends or the link dies, then records why
// in l.stream.
func (l *sseLink) readLoop(resp *answer, rd *sse.Reader, alive *aliveReader) {
	err := l.readEvents(resp, rd, alive)
	alive.t.Stop()
	resp.body.Close()
	if cause := context.Cause(l.ctx); cause != nil {
		err = cause // the read failed because the link died: say why it did
	}
	l.r.log.Debug("tether: sse stream ended", "sid", l.r.sid, "err", err)
	l.stream.end(err)
}

func (l *sseLink) readEvents(resp *answer, rd *sse.Reader, alive *aliveReader) error {
	for {
		ev, data, err := rd.NextView() // data is valid until the next call
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return xfmt.Errorf("fallback: sse: the server ended the stream: %w", err)
		case err != nil:
			if lerr := l.r.streamError(err); lerr != err {
				return lerr
			}
			return xfmt.Errorf("fallback: sse: reading the stream: %w", err)
		case ev.Type != sse.DefaultType:
			continue // not Tether's; later revisions may add event types
		}
		f, err := wire.ParseJSONUTF8(data, int(l.r.max)) // the reader decoded the data as UTF-8
		if err != nil {
			if lerr := l.r.payloadError("on the event stream", err); lerr != err {
				return lerr
			}
			return xfmt.Errorf("fallback: sse: event: %w", err)
		}
		switch f.Kind {
		case wire.KindText, wire.KindBinary, wire.KindAck, wire.KindClose, wire.KindSuperseded:
		case wire.KindError:
			return l.r.frameError(resp, f.Error)
		default:
			return malformedf(l.r.name, "a %s frame on the stream", f.Kind)
		}
		if f.Kind == wire.KindText && aliases(f.Data, data) {
			f.Data = append([]byte(nil), f.Data...) // the one copy of the payload
		}
		if l.stream.put(f) {
			continue
		}
		// Recv is behind. Nothing is read meanwhile, and that silence is
		// not the connection's: pause the watchdog.
		alive.t.Stop()
		for !l.stream.put(f) {
			select {
			case <-l.stream.room:
			case <-l.ctx.Done():
				return context.Cause(l.ctx)
			}
		}
		alive.t.Reset(alive.d)
	}
}

// aliases reports whether p, not empty, is a part of b that runs to the
// end of b's capacity, as the payload a parse left in b does.
func aliases(p, b []byte) bool {
	return len(p) > 0 && cap(b) > 0 && &p[:cap(p)][cap(p)-1] == &b[:cap(b)][cap(b)-1]
}

// aliveReader resets the liveness watchdog whenever bytes arrive: any byte,
// a heartbeat comment too, proves the connection alive.
type aliveReader struct {
	r io.Reader
	t *time.Timer   // the watchdog: kills the link when it fires
	d time.Duration // the welcome's timeout
}

func (a *aliveReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.t.Reset(a.d)
	}
	return n, err
}
