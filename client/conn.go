package client

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/seq"
	"github.com/tether-sdk/tether/internal/wire"
)

// conn is a link in use, with the writer's position in the outbox.
type conn struct {
	l       link.Link
	cursor  uint64 // writer: next seq to send
	upgrade *wire.Frame

	mu      sync.Mutex
	replies []wire.Frame // pongs for the writer
	answer  bool         // the server closed the session: the writer answers with c

	answered chan struct{} // closed once the writer sent the answering c

	// Guarded by Client.mu: whether cn's writer runs, whether it waits on
	// wake for work (it lingers there for writerLinger, then returns: an
	// idle connection holds no goroutine for it, and wakeWriterLocked
	// starts it again), and whether cn carries the session yet (watch).
	writing, parked, watched bool
	wake                     chan struct{} // one token: work for the parked writer
	writerLeft               time.Time     // when cn's writer last returned (startWriterLocked)
	closeSent                bool          // the writer sent the close frame (the writers run one at a time)
	path                     pathState     // what the path watcher reads (pathwatch.go)

	once   sync.Once
	dead   chan struct{}
	err    error
	onDone func() // guarded by mu: run once cn died (onDead)
}

// onDead runs f once cn died (at once when it did): the supervisor's hook
// (guard), in place of a goroutine waiting for dead.
func (cn *conn) onDead(f func()) {
	cn.mu.Lock()
	select {
	case <-cn.dead:
		cn.mu.Unlock()
		f()
		return
	default:
	}
	cn.onDone = f
	cn.mu.Unlock()
}

func newConn(l link.Link) *conn {
	return &conn{l: l, dead: make(chan struct{}), answered: make(chan struct{}), wake: make(chan struct{}, 1),
		path: pathState{heard: time.Now()}}
}

// fail marks the link dead (once) and closes it: a WebSocket with 1002
// after a gap in the server's seqs (PROTOCOL.md 4.3), else as Close does.
func (cn *conn) fail(err error) {
	cn.once.Do(func() {
		cn.err = err
		close(cn.dead)
		cn.mu.Lock()
		if t := cn.path.timer; t != nil {
			t.Stop() // the path watcher: nothing to watch on a dead link
		}
		done := cn.onDone
		cn.onDone = nil
		cn.mu.Unlock()
		if cc, ok := cn.l.(interface{ CloseWith(code int) error }); ok && errors.Is(err, errGap) {
			cc.CloseWith(int(CloseProtocolError))
		} else {
			cn.l.Close()
		}
		if done != nil {
			done()
		}
	})
}

// errGap: the server skipped a seq. The connection is closed with 1002 and
// the session resumes (PROTOCOL.md 4.3).
var errGap = errors.New("a data seq above recv + 1")

// errAckNeverSent: the server acknowledged a seq the client never sent; one
// side lost track of what was sent, so the session ends (PROTOCOL.md 4.4).
var errAckNeverSent = errors.New("the ack is above the last seq sent")

// endsSession reports a link's end after which the client does not resume
// (PROTOCOL.md 4.4, 7.3, 13): an ack of a seq never sent, or a server's
// error answer whose class is permanent (bad_request, message_too_large,
// forbidden_origin, unsupported_version).
func endsSession(err error) bool {
	var se *ServerError
	return errors.Is(err, errAckNeverSent) || errors.As(err, &se) && se.Class().Permanent()
}

var errSuperseded = errors.New("tether: the server moved the session to another connection")

// adopt makes cn the session's transport after its welcome, and starts its
// reader and writer.
func (c *Client) adopt(cn *conn, reason string, elapsed time.Duration, from string) {
	c.mu.Lock()
	if c.closed != nil {
		// Closed while this link was being dialed.
		c.mu.Unlock()
		cn.fail(ErrClosed)
		return
	}
	resumed := false
	if w := cn.l.Welcome(); w != nil {
		resumed = w.Resumed
		if !w.Resumed {
			c.sid, c.key = w.SID, w.Key
		}
		if len(w.Transports) > 0 {
			c.offered = slices.Clone(w.Transports)
		}
		if err := c.out.Ack(w.Ack); err != nil {
			// cn carries the session only to end: the supervisor
			// reconnects after it, as after any link's death.
			c.cur = cn
			c.mu.Unlock()
			cn.fail(&ProtocolError{Reason: "the welcome acknowledges messages never sent", Err: err})
			c.watch(cn)
			c.guard(cn)
			return
		}
		if w.Max > 0 {
			c.maxMsg = min(c.o.MaxMessageBytes, int(w.Max))
		}
	}
	cn.cursor = c.out.Acked() + 1
	c.cur = cn
	proved := c.takeProvedLocked(cn)
	c.state = StateConnected
	c.lastGood = cn.l.Transport()
	c.connectedAt = time.Now()
	c.signalLocked()
	c.mu.Unlock()
	if from == "" {
		c.ev.emit(ConnectedEvent{Transport: cn.l.Transport(), Reason: reason, Resumed: resumed, Elapsed: elapsed})
	} else {
		c.ev.emit(TransportChangedEvent{From: from, To: cn.l.Transport(), Reason: reason})
	}
	c.o.Logger.Info("connected", "transport", cn.l.Transport(), "reason", reason, "resumed", resumed)
	c.watch(cn)
	c.guard(cn)
	if proved != "" {
		// A stream that lost the race to cn proved itself before cn was
		// adopted (streamProved).
		c.startStreamUpgrade(cn, proved)
	}
}

// watch starts cn's reader and writer, after telling the link the
// client's recv (the link carries acks by its own policy); a probe's link
// is told after its upgrade frame, which must come first.
func (c *Client) watch(cn *conn) {
	if cn.upgrade == nil {
		c.acked(cn)
	}
	if !c.o.Raw && c.o.AckTimeout > 0 {
		c.watchPath(cn)
	}
	c.wg.Add(1)
	go c.readLoop(cn)
	c.mu.Lock()
	cn.watched = true
	c.startWriterLocked(cn)
	c.mu.Unlock()
}

// wakeWriterLocked wakes the current link's writer after something gave
// it work (a Send, a pong or ping to send, the close): a parked writer gets
// a token, a writer that returned is started anew, a running one sees the
// work on its next look. Called with c.mu held, after the work was queued,
// so that a writer about to park sees the work, is woken or started anew.
func (c *Client) wakeWriterLocked() {
	if cn := c.cur; cn != nil && cn.watched {
		if cn.parked {
			cn.parked = false
			select {
			case cn.wake <- struct{}{}:
			default:
			}
			return
		}
		c.startWriterLocked(cn)
	}
}

// A writer started again within writerBusyGap of its return waits up to
// writerLinger for more work when it has none, before it returns again:
// starting a goroutine per message (and growing its stack for the TLS
// write) cost a ping-pong exchange about a tenth of its CPU. A writer
// started after a longer pause (a heartbeat's ping, a message now and
// then) returns at once, so an idle connection holds only its reader.
const (
	writerBusyGap = 100 * time.Millisecond
	writerLinger  = time.Second
)

// lingerWriter parks cn's writer (c.mu held on entry, released) until it
// is woken (true: look again) or lingered writerLinger with no work, cn
// died or the client ended (false: the writer returns, not writing).
func (c *Client) lingerWriter(cn *conn, t **time.Timer) bool {
	cn.parked = true
	c.mu.Unlock()
	if *t == nil {
		*t = time.NewTimer(writerLinger)
	} else {
		(*t).Reset(writerLinger)
	}
	select {
	case <-cn.wake:
		return true
	case <-(*t).C:
	case <-cn.dead:
	case <-c.ctx.Done():
	}
	(*t).Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !cn.parked {
		// Woken as it gave up: the token waits in cn.wake, and the work
		// is there to look at.
		return true
	}
	cn.parked = false
	cn.writing = false
	cn.writerLeft = time.Now()
	return false
}

// startWriterLocked starts cn's writer unless it runs, cn is dead or the
// client ended (c.mu held: the WaitGroup's Add comes before Close's Wait).
func (c *Client) startWriterLocked(cn *conn) {
	if cn.writing || c.closed != nil {
		return
	}
	select {
	case <-cn.dead:
		return
	default:
	}
	cn.writing = true
	busy := time.Since(cn.writerLeft) < writerBusyGap
	c.wg.Add(1)
	go func() { defer c.wg.Done(); c.writeLoop(cn, busy) }()
}

// readLoop is cn's reader (counted in c.wg). It only reads; handle acts
// on each frame, so that the frames on the reader's stack while it waits
// (and while the TLS record under it is decrypted) stay small: an idle
// connection's one goroutine then fits gorilla's own 4 KiB stack.
func (c *Client) readLoop(cn *conn) {
	defer c.wg.Done()
	for {
		f, err := cn.l.Recv(c.ctx)
		if err != nil {
			cn.fail(err)
			return
		}
		if !c.handle(cn, &f) {
			return
		}
	}
}

// handle acts on one frame from cn's link; false: cn is done.
func (c *Client) handle(cn *conn, f *wire.Frame) bool {
	c.sample(cn.heardFrame(time.Now(), f.Kind, f.Seq))
	switch f.Kind {
	case wire.KindText, wire.KindBinary:
		if err := c.deliver(cn, f); err != nil {
			cn.fail(err)
			return false
		}
		c.acked(cn)
	case wire.KindAck, wire.KindPing, wire.KindPong:
		c.mu.Lock()
		err := c.out.Ack(f.Seq)
		c.signalLocked()
		recv := c.in.Recv()
		c.mu.Unlock()
		if err != nil {
			cn.fail(&ProtocolError{Reason: "ack of a message never sent", Err: errors.Join(errAckNeverSent, err)})
			return false
		}
		if f.Kind == wire.KindPing {
			cn.mu.Lock()
			cn.replies = append(cn.replies, wire.Frame{Kind: wire.KindPong, Seq: recv})
			cn.mu.Unlock()
			c.mu.Lock()
			c.wakeWriterLocked()
			c.mu.Unlock()
		}
	case wire.KindClose:
		c.mu.Lock()
		ours := c.closing
		c.mu.Unlock()
		ce := &CloseError{Code: CloseCode(f.Close.Code), Reason: f.Close.Reason}
		switch {
		case ours:
			c.finish(nil) // the server's answer to our close
		case ce.Code.Reconnect():
			// The server is going away (shutdown, restart): resume
			// later, here or elsewhere; not an end, and not answered
			// (PROTOCOL.md section 12).
			cn.fail(ce)
			return false
		default:
			// A final close: answer it with our own c (section 12), at
			// most closeAnswerWait, then end.
			cn.mu.Lock()
			cn.answer = true
			cn.mu.Unlock()
			c.mu.Lock()
			c.wakeWriterLocked()
			c.mu.Unlock()
			t := time.NewTimer(closeAnswerWait)
			select {
			case <-cn.answered:
			case <-cn.dead:
			case <-t.C:
			}
			t.Stop()
			c.finish(ce)
		}
		cn.fail(ErrClosed)
		return false
	case wire.KindSuperseded:
		cn.fail(errSuperseded)
		return false
	case wire.KindWelcome:
		// An SSE link re-attached by itself: nothing to do.
	default:
		cn.fail(&ProtocolError{Reason: "unexpected " + f.Kind.String() + " frame from the server"})
		return false
	}
	return true
}

// acked tells cn's link the client's recv (session mode only: a plain
// WebSocket has no acks).
func (c *Client) acked(cn *conn) {
	if c.o.Raw {
		return
	}
	c.mu.Lock()
	recv := c.in.Recv()
	c.mu.Unlock()
	cn.l.Acked(recv)
}

// deliver puts a data frame into the inbox once there is room: exactly once
// and in order in session mode, as it comes in Raw mode.
func (c *Client) deliver(cn *conn, f *wire.Frame) error {
	var w chan struct{}
	for {
		c.mu.Lock()
		c.sig.Done(w)
		if !c.o.Raw {
			recv := c.in.Recv()
			switch {
			case f.Seq <= recv:
				c.mu.Unlock()
				return nil
			case f.Seq > recv+1:
				c.mu.Unlock()
				return &ProtocolError{Reason: "the server skipped a sequence number", Err: errGap}
			}
		}
		if c.closed != nil {
			c.mu.Unlock()
			return ErrClosed
		}
		if len(c.inbox) == 0 || c.inboxBytes+len(f.Data) <= c.o.MaxQueuedBytes {
			if !c.o.Raw {
				c.in.Accept(f.Seq)
			}
			// The link handed f.Data over (link.Link.Recv): no copy.
			c.inbox = append(c.inbox, entry{m: Message{Binary: f.Kind == wire.KindBinary, Data: f.Data}})
			c.inboxBytes += len(f.Data)
			c.signalLocked()
			c.mu.Unlock()
			return nil
		}
		w = c.sig.Wait()
		c.mu.Unlock()
		select {
		case <-w:
		case <-cn.dead:
			return cn.err
		}
	}
}

// writeLoop sends what the session has for the server on cn: an upgrade
// frame first when cn came from a probe, pongs, data from cn.cursor, and
// the close frame after the queue when closing. Acks are the link's
// business (link.Link.Acked). When there is nothing to send it parks
// (lingerWriter) when busy (started again soon after it returned: see
// writerBusyGap), and returns after writerLinger with nothing to send, or
// at once when not busy; wakeWriterLocked wakes or starts it (one writer
// at a time).
func (c *Client) writeLoop(cn *conn, busy bool) {
	var w writerState
	for {
		switch c.writeTurn(cn, &w) {
		case turnAgain:
		case turnPark:
			if !busy {
				cn.writing = false
				cn.writerLeft = time.Now()
				c.mu.Unlock()
				return
			}
			if !c.lingerWriter(cn, &w.linger) {
				return
			}
		default:
			return
		}
	}
}

// writerState is what a writer keeps between its turns.
type writerState struct {
	buf    []seq.Msg
	frames []wire.Frame
	linger *time.Timer
}

// What a writer's turn tells it to do next.
const (
	turnAgain = iota // look again
	turnPark         // nothing to send: linger (c.mu held)
	turnDone         // return
)

// writeTurn sends one batch of what the session has for the server on cn
// (c.mu held on return turnPark). It is a function of its own, kept out of
// writeLoop, so that a parked writer's stack holds none of its frames: the
// runtime starts new goroutines (the readers among them) at the average
// stack size in use, and a lingering writer with a deep stack doubled
// every idle reader's stack (TestIdleClientMemory).
//
//go:noinline
func (c *Client) writeTurn(cn *conn, w *writerState) int {
	cn.mu.Lock()
	answer := cn.answer
	cn.mu.Unlock()
	if answer {
		// The server's c ended the session: no more data (section
		// 12), only our ack and our c; errors do not matter.
		recv := c.recv()
		_ = cn.l.Send(c.ctx, []wire.Frame{{Kind: wire.KindAck, Seq: recv},
			{Kind: wire.KindClose, Close: &wire.Close{Code: wire.CloseNormal}}})
		close(cn.answered)
		return turnDone // and stays marked as writing: nothing more goes out
	}
	frames := w.frames[:0]
	upgrade := cn.upgrade != nil
	if upgrade {
		frames = append(frames, *cn.upgrade)
		cn.upgrade = nil
	}
	cn.mu.Lock()
	frames = append(frames, cn.replies...)
	cn.replies = cn.replies[:0]
	cn.mu.Unlock()

	c.mu.Lock()
	if c.cur != cn || c.closed != nil {
		cn.writing = false
		c.mu.Unlock()
		return turnDone
	}
	buf := c.out.From(w.buf[:0], cn.cursor, 64<<10)
	w.buf = buf
	sendClose := c.closing && !cn.closeSent && len(buf) == 0 && c.out.Last() < cn.cursor
	closeFrame := c.closeFrame
	bound := max(c.o.AckTimeout, AckTimeoutRTTs*c.srtt) // pathBound
	if len(frames) == 0 && len(buf) == 0 && !sendClose {
		// Park, unless a pong or the answer came after the look
		// above (their wake found this writer running).
		cn.mu.Lock()
		more := cn.answer || len(cn.replies) > 0
		cn.mu.Unlock()
		if more {
			c.mu.Unlock()
			return turnAgain
		}
		return turnPark
	}
	c.mu.Unlock()

	for _, m := range buf {
		frames = append(frames, wire.Frame{Kind: messageKind(m.Binary), Seq: m.Seq, Data: m.Data})
	}
	if sendClose {
		frames = append(frames, wire.Frame{Kind: wire.KindClose, Close: &closeFrame})
	}
	w.frames = frames
	if n := len(buf); n > 0 && !c.o.Raw {
		cn.dataSent(buf[n-1].Seq, time.Now(), bound)
	}
	err := cn.l.Send(c.ctx, frames)
	clear(frames) // a lingering writer holds no payload
	if err != nil {
		cn.fail(err)
		return turnDone
	}
	if upgrade {
		c.acked(cn) // what the old link delivered after the upgrade's seq
	}
	if n := len(buf); n > 0 {
		cn.cursor = buf[n-1].Seq + 1
		if c.o.Raw {
			c.mu.Lock()
			c.out.Ack(buf[n-1].Seq) // written is all a plain WebSocket promises
			c.signalLocked()
			c.mu.Unlock()
		}
	}
	clear(buf)
	if sendClose {
		cn.closeSent = true
	}
	return turnAgain
}
