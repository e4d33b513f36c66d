package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tether-sdk/tether/internal/seq"
	"github.com/tether-sdk/tether/internal/wire"
)

// attachment is one transport carrying a session: a WebSocket, an SSE
// stream, or the long-poll cycle. Its writer owns cursor, ackSent and
// closeSent.
type attachment struct {
	transport  string
	persistent bool // a live connection (websocket, sse); long-polling is not

	cursor    uint64 // next seq to write
	ackSent   uint64 // last ack written
	closeSent bool

	once    sync.Once
	stopped chan struct{}
	kick    chan struct{} // (capacity 1) the session changed: the writer looks again

	// With spawn set (WebSocket), no goroutine waits for the writer's work:
	// a kick or a stop starts spawn in a new goroutine unless one runs
	// (running), and the writer returns when it finds nothing to do.
	spawn   func()
	running atomic.Bool
	reason  string // why it stopped; "superseded" makes the writer say so
	// onStop, when set, runs once as the attachment stops (before stopped
	// closes), with the reason: SSE and long-polling bound a write that a
	// superseded connection may be blocked in.
	onStop func(reason string)

	mu      sync.Mutex
	pong    *wire.Frame // the latest pong for the writer to send; a newer one replaces it
	failure *wire.Error // an error for the writer to send before closing
	close   int         // with failure nil: close with this code (1002 after a gap)
}

// queueReply hands a reply frame (a pong) to the writer. Only the latest is
// kept: a pong carries the server's recv, so a newer one says everything an
// older one did, and a client that pings without reading holds one frame.
func (a *attachment) queueReply(f *wire.Frame) {
	a.mu.Lock()
	a.pong = f
	a.mu.Unlock()
}

// takeReply returns and clears the pending reply, if any.
func (a *attachment) takeReply() *wire.Frame {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.pong
	a.pong = nil
	return r
}

// pendingReplies is the number of replies waiting for the writer (for
// tests: never more than 1).
func (a *attachment) pendingReplies() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pong != nil {
		return 1
	}
	return 0
}

func newAttachment(transport string, persistent bool) *attachment {
	return &attachment{transport: transport, persistent: persistent, stopped: make(chan struct{}), kick: make(chan struct{}, 1)}
}

// kickWriter tells a's writer that the session changed. Taken together with
// nextBatch (both under the session's lock), no change is missed: a change
// after nextBatch leaves a token the writer's wait finds. A stale token
// costs one empty look.
func (a *attachment) kickWriter() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
	a.startWriter()
}

// startWriter runs a.spawn in a new goroutine unless the writer runs.
func (a *attachment) startWriter() {
	if a.spawn != nil && a.running.CompareAndSwap(false, true) {
		go a.spawn()
	}
}

// park ends a run of an on-demand writer that found nothing to do. It
// returns false when work came in the meantime and this writer must go on
// (a kick or a stop after its last look left a token or closed stopped; a
// kicker that saw it running started no other).
func (a *attachment) park() bool {
	a.running.Store(false)
	select {
	case <-a.kick:
	case <-a.stopped:
	default:
		return true
	}
	return !a.running.CompareAndSwap(false, true)
}

// Reasons an attachment stops that its writer tells the client about.
const (
	reasonSuperseded = "superseded"               // another transport took over
	reasonReplaced   = "replaced by a newer poll" // a long-poll answered empty
)

// stop ends the attachment; its writer notices through stopped.
func (a *attachment) stop(reason string) {
	a.once.Do(func() {
		a.reason = reason
		if a.onStop != nil {
			a.onStop(reason)
		}
		close(a.stopped)
		a.startWriter()
	})
}

// errProtocol marks client frames that break the protocol; errGap, a data
// frame past recv + 1 (PROTOCOL.md 4.3).
var (
	errProtocol = errors.New("protocol violation")
	errGap      = errors.New("seq gap")
	errStopped  = errors.New("the transport stopped") // a wait in deliver ended with the attachment
)

// attachLocked makes a the session's transport, after the client said it
// has received everything up to clientAck. A previous attachment is
// superseded.
func (s *Session) attachLocked(a *attachment, clientAck uint64) error {
	if err := s.ackOutLocked(clientAck); err != nil {
		return fmt.Errorf("%w: %w", errProtocol, err)
	}
	if old := s.att; old != nil && old != a {
		if old.transport == wire.TransportPoll && a.transport == wire.TransportPoll {
			old.stop(reasonReplaced)
			a.ackSent = old.ackSent
		} else {
			old.stop(reasonSuperseded)
		}
	}
	s.att = a
	s.transport = a.transport
	if s.sh != nil {
		s.sh.contact.Store(true)
	}
	a.cursor = max(clientAck, s.out.Acked()) + 1
	if a.persistent {
		if s.expiry != nil && s.ended == nil {
			s.expiry.Stop()
		}
	} else {
		s.armExpiryLocked()
	}
	s.signalLocked()
	s.h.opts.Logger.Info("transport attached", "session", s.id, "transport", a.transport, "ack", clientAck)
	return nil
}

// touchLocked notes contact from the client outside a live connection.
func (s *Session) touchLocked() {
	if s.sh != nil {
		s.sh.contact.Store(true)
	}
	if s.att == nil || !s.att.persistent {
		s.armExpiryLocked()
	}
}

// detach notes that a's connection is gone: the TTL countdown starts.
func (s *Session) detach(a *attachment) {
	a.stop("connection gone")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.att == a {
		s.att = nil
		s.armExpiryLocked()
		s.h.opts.Logger.Info("transport detached", "session", s.id, "transport", a.transport)
	}
}

// welcomeLocked is the welcome for an attach.
func (s *Session) welcomeLocked(isNew, probe bool) *wire.Welcome {
	o := &s.h.opts
	w := &wire.Welcome{
		V: wire.Version, SID: s.id, Resumed: !isNew, Probe: probe, Ack: s.in.Recv(),
		HB: o.Heartbeat.Milliseconds(), Timeout: o.Timeout.Milliseconds(), TTL: o.SessionTTL.Milliseconds(),
		Max: int64(o.MaxMessageBytes), Poll: o.PollHold.Milliseconds(), Transports: o.Transports,
		Buf: int64(o.MaxBufferedBytes),
	}
	if isNew {
		w.Key = s.key
	}
	return w
}

// handleFrame applies one frame from the client. It returns the frame to
// answer with, if any. Data waits (bounded by ctx, and by stop when it is
// not nil) for room in the inbox. f.Data is copied if kept: the caller may
// reuse it once handleFrame returns.
func (s *Session) handleFrame(ctx context.Context, stop <-chan struct{}, f *wire.Frame) (*wire.Frame, error) {
	s.establish()
	if !s.claimed.Load() {
		s.claimed.Store(true) // a frame after the welcome: the attempt is the client's (attempts.go)
	}
	switch f.Kind {
	case wire.KindText, wire.KindBinary:
		return nil, s.deliver(ctx, stop, f)
	case wire.KindAck, wire.KindPing, wire.KindPong:
		s.mu.Lock()
		defer s.mu.Unlock()
		if err := s.ackOutLocked(f.Seq); err != nil {
			return nil, fmt.Errorf("%w: %w", errProtocol, err)
		}
		s.signalLocked()
		if f.Kind == wire.KindPing {
			return &wire.Frame{Kind: wire.KindPong, Seq: s.in.Recv()}, nil
		}
		return nil, nil
	case wire.KindClose:
		s.mu.Lock()
		closed := s.ended == nil
		if closed {
			s.ended = &CloseError{Code: f.Close.Code, Reason: f.Close.Reason, ByClient: true}
			s.closeFrame = &wire.Close{Code: wire.CloseNormal, Reason: "closed by the client"}
			s.h.opts.Logger.Info("session closed", "session", s.id, "code", f.Close.Code, "reason", f.Close.Reason, "by", "client")
			s.finishLocked(s.h.closeGrace())
		}
		s.mu.Unlock()
		if closed && s.sh != nil {
			s.endShared(CloseState{Code: f.Close.Code, Reason: f.Close.Reason, ByClient: true})
		}
		return nil, nil
	default:
		return nil, fmt.Errorf("%w: unexpected %s frame", errProtocol, f.Kind)
	}
}

// deliver puts a data frame into the inbox once there is room, exactly once
// and in order. The verdict and the append happen under one lock, so a frame
// is never counted as received without being kept. A wait for room ends
// with ctx or stop (an error only for ctx).
func (s *Session) deliver(ctx context.Context, stop <-chan struct{}, f *wire.Frame) error {
	if s.sh != nil {
		return s.deliverShared(ctx, f)
	}
	var w chan struct{}
	var t *ticket // queued for the Handler's budget while it is spent
	defer func() { s.h.budget.cancel(t) }()
	for {
		s.mu.Lock()
		s.sig.Done(w)
		recv := s.in.Recv()
		switch {
		case f.Seq <= recv:
			s.mu.Unlock()
			return nil // duplicate: already delivered
		case f.Seq > recv+1:
			s.mu.Unlock()
			return fmt.Errorf("%w: %w: seq %d after %d", errProtocol, errGap, f.Seq, recv)
		case s.ended != nil:
			s.mu.Unlock()
			return nil // the application will not read it; the client learns of the end
		}
		var full <-chan struct{}
		if len(s.inbox) == s.inboxHead || s.inboxBytes+len(f.Data) <= s.h.opts.MaxBufferedBytes {
			if s.reserveLocked(len(f.Data), &t) {
				s.in.Accept(f.Seq)
				data := make([]byte, len(f.Data))
				copy(data, f.Data)
				if len(s.inbox) == cap(s.inbox) && s.inboxHead >= len(s.inbox)/2 {
					// Full with half or more taken: move the rest to the front
					// rather than grow.
					n := copy(s.inbox, s.inbox[s.inboxHead:])
					clear(s.inbox[n:])
					s.inbox, s.inboxHead = s.inbox[:n], 0
				}
				s.inbox = append(s.inbox, Message{Binary: f.Kind == wire.KindBinary, Data: data})
				s.inboxBytes += len(data)
				s.signalLocked()
				s.mu.Unlock()
				return nil
			}
			full = t.ready
		} else if t != nil {
			// The inbox filled meanwhile: no budget is held for this frame
			// while it waits for the application.
			s.h.budget.cancel(t)
			t = nil
		}
		w = s.waitLocked()
		s.mu.Unlock()
		select {
		case <-w:
		case <-full:
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			return errStopped
		case <-s.ctx.Done():
		}
	}
}

// batch is what a writer has to send to its attachment.
type batch struct {
	msgs      []seq.Msg
	ack       uint64
	ackDue    bool
	close     *wire.Close // send after msgs, then end the attachment
	stopped   bool        // the attachment was stopped (superseded or session gone)
	reason    string
	remaining bool // more messages wait beyond this batch
}

// nextBatch collects, for a's writer, the messages from a.cursor on (at most
// about maxBytes), the ack if it advanced, and the close frame once every
// message before it is out.
func (s *Session) nextBatch(a *attachment, buf []seq.Msg, maxBytes int) batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b batch
	select {
	case <-a.stopped:
		b.stopped, b.reason = true, a.reason
		return b
	default:
	}
	b.msgs = s.out.From(buf, a.cursor, maxBytes)
	b.ack = s.in.Recv()
	b.ackDue = b.ack > a.ackSent
	last := a.cursor - 1
	if n := len(b.msgs); n > 0 {
		last = b.msgs[n-1].Seq
	}
	b.remaining = last < s.out.Last()
	// The close follows every message, also those a shared session's
	// mirror has yet to read from the store.
	if s.closeFrame != nil && last >= s.outLastLocked() && !a.closeSent {
		b.close = s.closeFrame
	}
	return b
}

// wrote advances a's cursor past what b carried.
func (a *attachment) wrote(b *batch) {
	if n := len(b.msgs); n > 0 {
		a.cursor = b.msgs[n-1].Seq + 1
	}
	if b.ackDue {
		a.ackSent = b.ack
	}
	if b.close != nil {
		a.closeSent = true
	}
}

// frames converts a batch to wire frames (for the JSON transports).
func (b *batch) frames(dst []wire.Frame) []wire.Frame {
	if b.ackDue {
		dst = append(dst, wire.Frame{Kind: wire.KindAck, Seq: b.ack})
	}
	for _, m := range b.msgs {
		k := wire.KindText
		if m.Binary {
			k = wire.KindBinary
		}
		dst = append(dst, wire.Frame{Kind: k, Seq: m.Seq, Data: m.Data})
	}
	if b.close != nil {
		dst = append(dst, wire.Frame{Kind: wire.KindClose, Close: b.close})
	}
	return dst
}
