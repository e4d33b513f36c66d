package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/seq"
	"github.com/tether-sdk/tether/internal/wire"
)

// wsBatchBytes bounds the payload a writer takes from the outbox at once.
const wsBatchBytes = 256 << 10

func isWebSocket(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

func (h *Handler) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if !h.enabled(wire.TransportWebSocket) {
		h.fail(w, wire.CodeTransportDisabled, "the websocket transport is disabled on this server", 0)
		return
	}
	if !slices.Contains(websocket.Subprotocols(r), wire.Subprotocol) {
		// PROTOCOL.md section 2: unsupported_version with versions.
		h.failVersionMsg(w, "WebSocket clients must offer the subprotocol "+wire.Subprotocol)
		return
	}
	auth, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	// ReadBufferSize 0: gorilla reads through the http.Server's 4 KiB
	// reader of the connection (no second one); writes use a pooled buffer
	// for the length of one message, and batchConn's, pooled too, for the
	// length of one batch: an idle connection holds no write buffer.
	up := websocket.Upgrader{
		Subprotocols:    []string{wire.Subprotocol},
		CheckOrigin:     func(*http.Request) bool { return true }, // checked by checkOrigin already
		WriteBufferSize: 4096,
		WriteBufferPool: wsWriteBufs,
	}
	hj := &batchHijacker{ResponseWriter: w}
	conn, err := up.Upgrade(hj, r, nil)
	if err != nil {
		return // the upgrader answered
	}
	handed := false // to the reader's goroutine, which closes conn
	defer func() {
		if !handed {
			conn.Close()
		}
	}()
	conn.SetReadLimit(int64(h.opts.MaxMessageBytes) + 4096)
	wc := &wsConn{h: h, conn: conn, bc: hj.conn}

	conn.SetReadDeadline(time.Now().Add(helloTimeout))
	f, err := wc.read()
	wc.release()
	if err != nil {
		wc.fail(wire.CodeBadRequest, "expected a hello frame: "+err.Error())
		return
	}
	if f.Kind != wire.KindHello {
		wc.fail(wire.CodeBadRequest, "the first frame must be a hello, got "+f.Kind.String())
		return
	}
	hello := f.Hello
	if hello.V != wire.Version {
		wc.failFrame(wire.Error{Code: wire.CodeUnsupportedVersion, Status: 400, Message: "unsupported version", Versions: []int{wire.Version}})
		return
	}
	var s *Session
	isNew := hello.SID == ""
	if isNew {
		if hello.Probe {
			wc.fail(wire.CodeBadRequest, "a probe needs a session")
			return
		}
		var wait time.Duration
		if s, wait = h.newSession(r, auth); s == nil {
			wc.failRetry(wire.CodeTooManySessions, "too many sessions", wait)
			return
		}
	} else if s, err = h.find(hello.SID, hello.Key); errors.Is(err, errNodeFull) {
		wc.failRetry(wire.CodeInternal, "this server node is at its session limit; retry", 5*time.Second)
		return
	} else if err != nil {
		h.opts.Logger.Warn("shared store unavailable", "error", err)
		wc.failRetry(wire.CodeInternal, "the shared session store is unavailable; retry", time.Second)
		return
	} else if s == nil || s.overFor(hello.Ack) {
		wc.fail(wire.CodeSessionNotFound, "session not found: it expired, was closed, or never existed; start a new session")
		return
	} else {
		s.establish()
	}
	a := newAttachment(wire.TransportWebSocket, true)
	// Once another connection took the session, a write this one is blocked
	// in gets at most supersededWriteBound (as SSE's and long-polling's do).
	a.onStop = func(reason string) {
		if reason == reasonSuperseded {
			wc.bc.cut(min(h.opts.WriteTimeout, supersededWriteBound))
		}
	}
	// The writer runs on demand (attachment.spawn). Until the welcome is
	// out, running is held here so that no kick starts it.
	a.running.Store(true)
	a.spawn = func() { wc.writeRun(s, a) }
	s.mu.Lock()
	if hello.Probe {
		// Answer the probe, but keep the fallback until the client upgrades.
		if err := s.ackOutLocked(hello.Ack); err != nil {
			s.mu.Unlock()
			wc.fail(wire.CodeBadRequest, err.Error())
			return
		}
	} else if err := s.attachLocked(a, hello.Ack); err != nil {
		s.mu.Unlock()
		wc.fail(wire.CodeBadRequest, err.Error())
		return
	}
	welcome := s.welcomeLocked(isNew, hello.Probe)
	s.mu.Unlock()
	if err := wc.write(&wire.Frame{Kind: wire.KindWelcome, Welcome: welcome}); err != nil {
		s.detach(a)
		return
	}
	if hello.Probe && !wc.probe(s, a) {
		return
	}
	wc.finished = make(chan struct{})
	wc.ping = time.AfterFunc(h.opts.Heartbeat, func() {
		wc.pingDue.Store(true)
		a.kickWriter()
	})
	go wc.writeRun(s, a) // the first run: what the attach left to send
	// The reader runs on a goroutine of its own and ServeHTTP returns, so
	// that the http.Server frees what it holds for the request (its write
	// buffer, the request, and the goroutine whose stack the TLS handshake
	// grew to 16 KiB): an idle connection holds one small-stacked reader.
	// Middleware around the Handler sees the request end after the
	// upgrade; the connection is the session's from then on.
	handed = true
	go func() {
		defer conn.Close()
		wc.readLoop(s, a)
		s.detach(a)
		<-wc.finished
	}()
}

// wsConn is one server-side WebSocket. One goroutine reads, one writes.
type wsConn struct {
	h    *Handler
	conn *websocket.Conn
	bc   *batchConn // under conn: holds the frames of a batch for one write
	hdr  []byte
	rbuf *[]byte // the message being read, from readBufs; nil between messages

	// The writer's state. One run of the writer at a time touches the plain
	// fields (runs are ordered by attachment.running).
	finished chan struct{} // closed once the writer has ended the connection
	ping     *time.Timer   // the heartbeat: sets pingDue and kicks the writer
	pingDue  atomic.Bool
	ackTimer *time.Timer // made on the first delayed ack: sets ackNow and kicks
	ackArmed bool
	ackNow   atomic.Bool
	lingerT  *time.Timer // a writer with nothing to send waits on it (linger)
	left     time.Time   // when the writer's last run ended
	buf      []seq.Msg
}

// readBufs holds read buffers between messages: an idle connection holds
// none, a busy one reuses one.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// readBufMax is the largest read buffer returned to readBufs.
const readBufMax = 64 << 10

// read reads the next message into a pooled buffer and parses it. The
// frame's Data points into that buffer: it is valid until release.
func (wc *wsConn) read() (wire.Frame, error) {
	mt, rd, err := wc.conn.NextReader()
	if err != nil {
		return wire.Frame{}, err
	}
	wc.rbuf = readBufs.Get().(*[]byte)
	b := (*wc.rbuf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := rd.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			*wc.rbuf = b
			return wire.Frame{}, err
		}
	}
	*wc.rbuf = b
	return wire.ParseWS(mt == websocket.BinaryMessage, b, wc.h.opts.MaxMessageBytes)
}

// release returns the buffer of the last message read: the frame read
// last must not be used after.
func (wc *wsConn) release() {
	if wc.rbuf == nil {
		return
	}
	if cap(*wc.rbuf) <= readBufMax {
		*wc.rbuf = (*wc.rbuf)[:0]
		readBufs.Put(wc.rbuf)
	}
	wc.rbuf = nil
}

func (wc *wsConn) write(f *wire.Frame) error {
	wc.conn.SetWriteDeadline(time.Now().Add(wc.h.opts.WriteTimeout))
	binary, b, err := wire.AppendWS(wc.hdr[:0], f)
	if err != nil {
		return err
	}
	wc.hdr = b[:0]
	mt := websocket.TextMessage
	if binary {
		mt = websocket.BinaryMessage
	}
	return wc.conn.WriteMessage(mt, b)
}

// writeData writes one data message: header then payload, without copying
// the payload.
func (wc *wsConn) writeData(m *seq.Msg) error {
	mt, kind := websocket.TextMessage, wire.KindText
	if m.Binary {
		mt, kind = websocket.BinaryMessage, wire.KindBinary
	}
	w, err := wc.conn.NextWriter(mt)
	if err != nil {
		return err
	}
	wc.hdr = wire.AppendDataHeader(wc.hdr[:0], kind, m.Seq)
	if _, err := w.Write(wc.hdr); err != nil {
		return err
	}
	if _, err := w.Write(m.Data); err != nil {
		return err
	}
	return w.Close()
}

// fail sends an error frame and closes with 4000+status.
func (wc *wsConn) fail(code, message string) {
	wc.failFrame(wire.Error{Code: code, Message: message, Status: wire.StatusOf(code)})
}

func (wc *wsConn) failRetry(code, message string, retry time.Duration) {
	wc.failFrame(wire.Error{Code: code, Message: message, Status: wire.StatusOf(code), Retry: retry.Milliseconds()})
}

func (wc *wsConn) failFrame(e wire.Error) {
	wc.write(&wire.Frame{Kind: wire.KindError, Error: &e})
	wc.closeWith(wire.CloseErrorBase+e.Status, e.Code)
}

func (wc *wsConn) closeWith(code int, reason string) {
	msg := websocket.FormatCloseMessage(code, reason)
	wc.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
}

// probe serves a probe WebSocket until the client upgrades (true) or the
// probe ends (false). Pings are answered so the client can prove data
// round-trips; the fallback stays active meanwhile.
func (wc *wsConn) probe(s *Session, a *attachment) bool {
	for {
		wc.conn.SetReadDeadline(time.Now().Add(wc.h.opts.Timeout))
		f, err := wc.read()
		wc.release() // a probe carries no data frames
		if err != nil {
			return false
		}
		if f.Kind == wire.KindUpgrade {
			s.mu.Lock()
			err := s.attachLocked(a, f.Seq)
			s.mu.Unlock()
			if err != nil {
				wc.fail(wire.CodeBadRequest, err.Error())
				return false
			}
			return true
		}
		if f.Kind == wire.KindText || f.Kind == wire.KindBinary {
			// PROTOCOL.md section 10: data belongs to the active transport
			// until the client upgrades.
			wc.fail(wire.CodeBadRequest, "data frames on a probe before its upgrade (u)")
			return false
		}
		reply, err := s.handleFrame(s.ctx, nil, &f)
		if errors.Is(err, errGap) {
			wc.closeWith(wire.CloseProtocol, "protocol error: seq gap")
			return false
		}
		if err != nil {
			wc.fail(wire.CodeBadRequest, err.Error())
			return false
		}
		if reply != nil && wc.write(reply) != nil {
			return false
		}
	}
}

// readLoop applies the client's frames until the connection fails or the
// attachment stops.
func (wc *wsConn) readLoop(s *Session, a *attachment) {
	// Waiting for room in the inbox ends with the attachment: deliver
	// watches a.stopped. A shared session waits on the store, through a
	// context, which then needs a goroutine to end with the attachment.
	ctx := s.ctx
	if s.sh != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(s.ctx)
		defer cancel()
		go func() {
			select {
			case <-a.stopped:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	defer wc.release()
	for {
		wc.conn.SetReadDeadline(time.Now().Add(wc.h.opts.Timeout))
		wc.release()
		f, err := wc.read()
		if err != nil {
			var fe *wire.FormatError
			switch {
			case errors.Is(err, wire.ErrTooLarge) || errors.Is(err, websocket.ErrReadLimit):
				wc.h.opts.Logger.Warn("message too large", "session", s.id)
				wc.failLater(a, wire.CodeMessageTooLarge, "message larger than the server's limit")
			case errors.As(err, &fe):
				wc.failLater(a, wire.CodeBadRequest, err.Error())
			}
			a.stop("read: " + err.Error())
			return
		}
		reply, err := s.handleFrame(ctx, a.stopped, &f)
		switch {
		case errors.Is(err, errStopped):
			return // the writer failed or another transport took over
		case errors.Is(err, errGap):
			a.closeLater(wire.CloseProtocol) // PROTOCOL.md 4.3: close this WebSocket, the client resumes
			a.stop("protocol: gap")
			return
		case errors.Is(err, ErrStoreUnavailable):
			wc.failLater(a, wire.CodeInternal, "the shared session store is unavailable; retry")
			a.stop("store unavailable")
			return
		case err != nil:
			wc.failLater(a, wire.CodeBadRequest, err.Error())
			a.stop("protocol")
			return
		}
		select {
		case <-a.stopped:
			return // the writer failed or another transport took over: read no more
		default:
		}
		if reply != nil {
			a.queueReply(reply)
			s.mu.Lock()
			s.signalLocked()
			s.mu.Unlock()
		}
	}
}

// closeLater records a close code (without an error frame) for the writer
// to close with; call it before stopping a.
func (a *attachment) closeLater(code int) {
	a.mu.Lock()
	a.close = code
	a.mu.Unlock()
}

// broken ends a connection whose write failed: the attachment stops and the
// connection closes, so the reader stops reading too.
func (wc *wsConn) broken(a *attachment) {
	a.stop("write failed")
	wc.conn.Close()
}

// failLater records an error for the writer to send before it closes; call
// it before stopping a, so the writer sees it.
func (wc *wsConn) failLater(a *attachment, code, message string) {
	a.mu.Lock()
	a.failure = &wire.Error{Code: code, Message: message, Status: wire.StatusOf(code)}
	a.mu.Unlock()
}

// wsAckDelay is how long an ack waits for data to ride with when it has
// none (PROTOCOL.md 4.4: within 50 ms, or after wsAckEvery frames).
const (
	wsAckDelay = 20 * time.Millisecond
	wsAckEvery = 64
)

// writeRun writes everything the session has for the client, acks, pings
// and the close frame. When nothing is left it returns, or, when started
// soon after its last run, waits for a kick up to writerLinger first: no goroutine waits for an idle connection's
// writes, and a busy one (ping-pong) does not start one per message. A kick
// (a change of the session, the heartbeat, the ack delay) or the
// attachment's stop wakes or starts it again. Each batch (what is queued
// when it runs) goes out in one write: the frames collect in batchConn and
// flush together. An ack rides in the write of the data that follows it
// (an answer, typically) and goes alone only after wsAckDelay or
// wsAckEvery unacknowledged frames.
func (wc *wsConn) writeRun(s *Session, a *attachment) {
	busy := time.Since(wc.left) < writerBusyGap
	for {
		switch wc.writeTurn(s, a) {
		case turnAgain:
		case turnLinger:
			if !busy {
				wc.left = time.Now() // before park: the next run may start at once
				if a.park() {
					return
				}
				continue
			}
			if wc.linger(a) {
				return
			}
		default:
			return
		}
	}
}

// What a writer's turn tells it to do next.
const (
	turnAgain  = iota // look again
	turnLinger        // nothing left: wait for a kick, or end the run
	turnDone          // the connection is done
)

// A WebSocket writer started again within writerBusyGap of its last run's
// end waits up to writerLinger for a kick when it has nothing to send,
// before its run ends: starting a goroutine per message cost ping-pong
// about a tenth of its CPU. A writer started after a longer pause (a
// heartbeat, a message now and then) ends its run at once, so an idle
// connection holds only its reader.
const (
	writerBusyGap = 100 * time.Millisecond
	writerLinger  = time.Second
)

// linger waits up to writerLinger for a kick or the stop (false: look
// again), then parks the writer (true: the run ends, unless a kick came as
// it gave up).
func (wc *wsConn) linger(a *attachment) bool {
	if wc.lingerT == nil {
		wc.lingerT = time.NewTimer(writerLinger)
	} else {
		wc.lingerT.Reset(writerLinger)
	}
	select {
	case <-a.kick:
		return false
	case <-a.stopped:
		return false
	case <-wc.lingerT.C:
		wc.left = time.Now() // before park: the next run may start at once
		return a.park()
	}
}

// writeTurn writes one batch. It is a function of its own, kept out of
// writeRun, so that a lingering writer's stack holds none of its frames:
// the runtime starts goroutines at the average stack size in use, which a
// deep lingering stack would raise for every connection.
//
//go:noinline
func (wc *wsConn) writeTurn(s *Session, a *attachment) int {
	b := s.nextBatch(a, wc.buf[:0], wsBatchBytes)
	if b.stopped {
		wc.finish(s, a, b.reason)
		wc.end()
		return turnDone
	}
	reply := a.takeReply()
	ping := wc.pingDue.Swap(false)
	if b.ackDue && !wc.ackNow.Load() && reply == nil && !ping && len(b.msgs) == 0 && b.close == nil && b.ack-a.ackSent < wsAckEvery {
		b.ackDue = false // wait for data to carry it, or the delay
		if !wc.ackArmed {
			if wc.ackTimer == nil {
				wc.ackTimer = time.AfterFunc(wsAckDelay, func() {
					wc.ackNow.Store(true)
					a.kickWriter()
				})
			} else {
				wc.ackTimer.Reset(wsAckDelay)
			}
			wc.ackArmed = true
		}
	}
	if reply != nil || ping || len(b.msgs) > 0 || b.ackDue || b.close != nil {
		if !wc.writeBatch(s, a, &b, reply, ping) || b.close != nil {
			wc.end() // broken, or closed (the reader waits for the client's close)
			return turnDone
		}
		if b.ackDue {
			wc.ackNow.Store(false)
			if wc.ackArmed {
				wc.ackTimer.Stop()
				wc.ackArmed = false
			}
		}
		if ping {
			wc.ping.Reset(wc.h.opts.Heartbeat)
		}
	}
	a.wrote(&b)
	clear(b.msgs) // a lingering writer holds no payload
	wc.buf = b.msgs
	if b.remaining {
		return turnAgain
	}
	return turnLinger
}

// end is the end of the last run of the writer: running stays set, so no
// other starts.
func (wc *wsConn) end() {
	wc.ping.Stop()
	if wc.lingerT != nil {
		wc.lingerT.Stop()
	}
	if wc.ackTimer != nil {
		wc.ackTimer.Stop()
	}
	close(wc.finished)
}

// writeBatch writes a reply, b's messages, its ack and its close frame in
// one write. It returns false when the connection is done (broken, or
// closed after b's close frame).
func (wc *wsConn) writeBatch(s *Session, a *attachment, b *batch, reply *wire.Frame, ping bool) bool {
	wc.conn.SetWriteDeadline(time.Now().Add(wc.h.opts.WriteTimeout))
	wc.bc.hold()
	err := wc.writeFrames(b, reply, ping)
	if ferr := wc.bc.flush(); err == nil {
		err = ferr
	}
	if err != nil {
		wc.h.writeFailed(s, "websocket", wc.h.opts.WriteTimeout, err)
		wc.broken(a)
		return false
	}
	if b.close != nil {
		a.wrote(b)
		a.stop("closed")
	}
	return true
}

func (wc *wsConn) writeFrames(b *batch, reply *wire.Frame, ping bool) error {
	if ping {
		if err := wc.write(&wire.Frame{Kind: wire.KindPing, Seq: b.ack}); err != nil {
			return err
		}
	}
	if reply != nil {
		if err := wc.write(reply); err != nil {
			return err
		}
	}
	for i := range b.msgs {
		if err := wc.writeData(&b.msgs[i]); err != nil {
			return err
		}
	}
	if b.ackDue {
		if err := wc.write(&wire.Frame{Kind: wire.KindAck, Seq: b.ack}); err != nil {
			return err
		}
	}
	if b.close != nil {
		if err := wc.write(&wire.Frame{Kind: wire.KindClose, Close: b.close}); err != nil {
			return err
		}
		wc.closeWith(b.close.Code, b.close.Reason)
	}
	return nil
}

// finish ends the connection of a stopped attachment, telling the client
// why when it can act on it.
func (wc *wsConn) finish(s *Session, a *attachment, reason string) {
	a.mu.Lock()
	failure, code := a.failure, a.close
	a.mu.Unlock()
	switch {
	case failure != nil:
		wc.failFrame(*failure)
	case code != 0:
		wc.closeWith(code, "protocol error: seq gap")
	case reason == reasonSuperseded:
		wc.write(&wire.Frame{Kind: wire.KindSuperseded})
		wc.closeWith(wire.CloseSuperseded, "superseded by another transport")
	case reason == "session ended":
		wc.closeWith(wire.CloseGoingAway, "session ended")
	}
	wc.conn.Close() // unblocks the reader
}
