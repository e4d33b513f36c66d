//go:build !js

package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

func init() { link.Register(wire.TransportWebSocket, dialWSLink) }

// wsLink is a session link over a native WebSocket (gorilla, through the
// Dialer). In raw mode it carries plain messages: data
// frames map to WebSocket messages without a header, and liveness uses
// WebSocket ping/pong.
type wsLink struct {
	conn    *websocket.Conn
	welcome *wire.Welcome
	raw     bool
	max     int
	timeout time.Duration

	wmu     sync.Mutex // one writer at a time (Send, and pings in raw mode)
	w       io.Writer  // where batches go: the connection under gorilla
	deflate bool       // compression negotiated: write through gorilla, message by message
	hdr     []byte
	once    sync.Once
	done    chan struct{}
	pings   *time.Timer // raw mode: the next ping (a timer, not a goroutine)
	every   time.Duration
	acks    *link.Acker // session mode: acks ride along with data, or go alone within wsAckDelay

	// The reader's state (Recv runs on one goroutine).
	rbuf  []byte          // where the next message is read; handed over with a data frame
	rnext int             // capacity of the next rbuf: the last data message's size
	rctx  context.Context // the context registered with rstop (one per link, not per Recv)

	smu   sync.Mutex
	rstop func() bool // unregisters rctx's AfterFunc; nil once closed
}

// wsReadBuffer is the size of gorilla's read buffer under a link.
const wsReadBuffer = 1 << 10

// wsWriteBufs is the links' gorilla write buffer pool
// (websocket.Dialer.WriteBufferPool).
var wsWriteBufs websocket.BufferPool = &sync.Pool{}

// wsOverhead is what a WebSocket message holds beyond its payload
// (PROTOCOL.md 14: the read limit is max + 4096).
const wsOverhead = wire.WSOverhead

// hintRaw says what to do when the server is a plain WebSocket server.
const hintRaw = "use raw mode for a plain WebSocket server (Options.Raw; tether connect --raw)"

// dialWSLink opens a WebSocket and, in session mode, says hello and waits
// for the welcome (a data round trip). e.Header is sent with the upgrade.
func dialWSLink(ctx context.Context, e *link.Env, a link.Attach) (link.Link, error) {
	d, ok := e.Dialer.(*Dialer)
	if !ok {
		return nil, fmt.Errorf("tether: websocket: link.Env.Dialer is %T, not a *transport.Dialer", e.Dialer)
	}
	l, err := dialWS(ctx, d, e, a)
	if err != nil {
		return nil, err
	}
	return l, nil
}

func dialWS(ctx context.Context, d *Dialer, o *link.Env, a link.Attach) (*wsLink, error) {
	wo := &wsOptions{
		// ctx carries the attempt's bound (Options.ConnectTimeout), which
		// names itself in the error; this is only a backstop.
		HandshakeTimeout:  o.ConnectTimeout + time.Second,
		Header:            http.Header(o.Header),
		EnableCompression: o.Compression,
		ReadLimit:         int64(o.MaxMessage) + wsOverhead,
		Attach:            a,
		// gorilla's read buffer is held by every connection, idle or not,
		// and only carries frame headers and small messages: payloads go
		// to the link's own buffer (body) straight from TLS, which holds
		// the decrypted record. 1 KiB, not gorilla's 4.
		ReadBufferSize: wsReadBuffer,
		// The link writes its own frames (Send, pong) and gorilla's writer
		// only for compressed messages and control frames: a pooled write
		// buffer, taken only while gorilla writes a message, spares every
		// idle connection 4 KiB.
		WriteBufferPool: wsWriteBufs,
	}
	if !o.Raw {
		wo.Subprotocols = []string{wire.Subprotocol}
	}
	conn, resp, err := d.dialWebSocket(ctx, wo)
	if err != nil {
		return nil, withErrorAnswer(err)
	}
	l := &wsLink{conn: conn, raw: o.Raw, max: o.MaxMessage, done: make(chan struct{})}
	// permessage-deflate: messages go through gorilla's writer, which
	// compresses them (one write each); batches are for plain frames.
	l.deflate = resp != nil && strings.Contains(strings.ToLower(resp.Header.Get("Sec-WebSocket-Extensions")), "permessage-deflate")
	conn.SetPingHandler(l.pong)
	if o.Raw {
		l.timeout = o.RawPingInterval * 2
		conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(l.timeout)) })
		conn.SetReadDeadline(time.Now().Add(l.timeout))
		l.every = o.RawPingInterval
		l.pings = time.AfterFunc(l.every, l.ping)
		return l, nil
	}
	if conn.Subprotocol() != wire.Subprotocol {
		conn.Close()
		return nil, &link.ProtocolError{Reason: fmt.Sprintf("the server at %s does not speak %s (it chose subprotocol %q); %s",
			d.Target().WS.Redacted(), wire.Subprotocol, conn.Subprotocol(), hintRaw)}
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	hello := wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: wire.Version, SID: a.SID, Key: a.Key, Ack: a.Ack, Probe: a.Probe}}
	if err := l.write(&hello); err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetReadDeadline(time.Now().Add(DefaultHandshakeTimeout))
	f, err := l.read()
	if err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("tether: waiting for the welcome: %w", err)
	}
	switch f.Kind {
	case wire.KindWelcome:
	case wire.KindError:
		conn.Close()
		return nil, &link.ServerError{Transport: wire.TransportWebSocket, Answer: *f.Error}
	default:
		conn.Close()
		return nil, &link.ProtocolError{Reason: "the server answered the hello with a " + f.Kind.String() + " frame"}
	}
	l.welcome = f.Welcome
	l.rbuf = nil // an idle link holds no read buffer: the next is made once a message began
	l.timeout = time.Duration(f.Welcome.Timeout) * time.Millisecond
	if l.timeout <= 0 {
		l.timeout = wire.DefaultTimeout
	}
	if f.Welcome.Max > 0 {
		l.max = int(min(f.Welcome.Max, int64(l.max))) // the server may lower the bound, never raise it
	}
	l.acks = link.NewDelayedAcker(wsAckDelay, wsAckEvery, func(recv uint64) error {
		return l.Send(context.Background(), []wire.Frame{{Kind: wire.KindAck, Seq: recv}})
	})
	return l, nil
}

func (l *wsLink) Transport() string      { return wire.TransportWebSocket }
func (l *wsLink) Welcome() *wire.Welcome { return l.welcome }

// Acked lets an ack ride with the next Send, or sends it alone within
// wsAckDelay (at once after wsAckEvery frames).
func (l *wsLink) Acked(recv uint64) {
	if l.acks != nil {
		l.acks.Acked(recv)
	}
}

// Send writes frames, with the pending ack first (it rides along), in one
// write: each frame is encoded as a masked WebSocket message into one
// buffer, so a batch costs one write(2) and as few TLS records as its size
// allows, not one of each per message (gorilla's writer flushes every
// message). A batch over wsBatchFlush bytes is written in parts.
func (l *wsLink) Send(ctx context.Context, frames []wire.Frame) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	nc := l.conn.UnderlyingConn()
	if l.w == nil {
		l.w = nc
	}
	dl := time.Now().Add(max(l.timeout, 10*time.Second))
	nc.SetWriteDeadline(dl)
	l.conn.SetWriteDeadline(dl) // gorilla's own writes (compressed messages) apply it
	bp := wsBatchBufs.Get().(*[]byte)
	b := (*bp)[:0]
	defer func() {
		if cap(b) <= 2*wsBatchFlush {
			*bp = b[:0]
			wsBatchBufs.Put(bp)
		}
	}()
	if l.acks != nil {
		if recv, ok := l.acks.Take(); ok {
			ack := wire.Frame{Kind: wire.KindAck, Seq: recv}
			var err error
			if l.deflate {
				err = l.writeGorilla(&ack)
			} else {
				b, err = l.appendFrame(b, &ack)
			}
			if err != nil {
				return err
			}
		}
	}
	for i := range frames {
		f := &frames[i]
		if l.raw && f.Kind == wire.KindClose {
			if err := l.flush(b); err != nil {
				return err
			}
			b = b[:0]
			if err := l.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(f.Close.Code, f.Close.Reason), time.Now().Add(time.Second)); err != nil {
				return err
			}
			continue
		}
		if l.deflate {
			if err := l.writeGorilla(f); err != nil {
				return err
			}
			continue
		}
		var err error
		if b, err = l.appendFrame(b, f); err != nil {
			return err
		}
		if len(b) >= wsBatchFlush {
			if err := l.flush(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	return l.flush(b)
}

// flush writes b, if any, in one Write.
func (l *wsLink) flush(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	select {
	case <-l.done:
		return net.ErrClosed
	default:
	}
	_, err := l.w.Write(b)
	return err
}

func (l *wsLink) write(f *wire.Frame) error {
	return l.Send(context.Background(), []wire.Frame{*f})
}

// appendFrame appends f as one WebSocket message; data payloads are
// appended after their header. In raw mode only data has a meaning (acks
// and pings have none on a plain WebSocket).
func (l *wsLink) appendFrame(b []byte, f *wire.Frame) ([]byte, error) {
	if f.Kind == wire.KindText || f.Kind == wire.KindBinary {
		op := byte(opText)
		if f.Kind == wire.KindBinary {
			op = opBinary
		}
		if l.raw {
			return appendClientFrame(b, op, nil, f.Data), nil
		}
		l.hdr = wire.AppendDataHeader(l.hdr[:0], f.Kind, f.Seq)
		return appendClientFrame(b, op, l.hdr, f.Data), nil
	}
	if l.raw {
		return b, nil
	}
	bin, enc, err := wire.AppendWS(l.hdr[:0], f)
	if err != nil {
		return b, err
	}
	l.hdr = enc[:0]
	op := byte(opText)
	if bin {
		op = opBinary
	}
	return appendClientFrame(b, op, enc, nil), nil
}

// writeGorilla writes one frame as a message through gorilla's writer
// (which compresses it when permessage-deflate was negotiated).
func (l *wsLink) writeGorilla(f *wire.Frame) error {
	if f.Kind == wire.KindText || f.Kind == wire.KindBinary {
		mt := websocket.TextMessage
		if f.Kind == wire.KindBinary {
			mt = websocket.BinaryMessage
		}
		if l.raw {
			return l.conn.WriteMessage(mt, f.Data)
		}
		w, err := l.conn.NextWriter(mt)
		if err != nil {
			return err
		}
		l.hdr = wire.AppendDataHeader(l.hdr[:0], f.Kind, f.Seq)
		if _, err := w.Write(l.hdr); err != nil {
			return err
		}
		if _, err := w.Write(f.Data); err != nil {
			return err
		}
		return w.Close()
	}
	if l.raw {
		return nil
	}
	bin, enc, err := wire.AppendWS(l.hdr[:0], f)
	if err != nil {
		return err
	}
	l.hdr = enc[:0]
	mt := websocket.TextMessage
	if bin {
		mt = websocket.BinaryMessage
	}
	return l.conn.WriteMessage(mt, enc)
}

// pong answers a WebSocket ping through the link's writer (gorilla's own
// answer would write beside it and move its write deadline).
func (l *wsLink) pong(data string) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.w == nil {
		l.w = l.conn.UnderlyingConn()
	}
	err := l.flush(appendClientFrame(nil, opPong, nil, []byte(data)))
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Recv reads the next frame. ctx is registered once per link (the reader
// passes the same one each time), not per call: its end cuts a blocked read
// through the read deadline. A data frame's Data is a buffer of its own,
// sized from the previous data message, read into without a copy.
func (l *wsLink) Recv(ctx context.Context) (wire.Frame, error) {
	if err := l.armRead(ctx); err != nil {
		return wire.Frame{}, err
	}
	// The reader waits here, in NextReader, and reads the message in
	// body, with only Recv's small frame above gorilla's; the frame is made
	// after (message), the errors in recvErr. An idle connection's reader
	// so fits gorilla's own 4 KiB stack (and holds no read buffer), and so
	// does one that reads messages.
	mt, r, err := l.conn.NextReader()
	var msg []byte
	if err == nil {
		msg, err = l.body(r)
	}
	if err != nil {
		return wire.Frame{}, l.recvErr(ctx, readLimitErr(err, l.limit()))
	}
	return l.message(ctx, mt, msg)
}

// recvErr is the error of Recv for the read's err: ctx's when it ended.
func (l *wsLink) recvErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return l.readErr(err)
}

// armRead prepares the next read: ctx registered, the read deadline set.
// (Apart from Recv, so that the frames on the reader's stack while it
// waits stay small: see read.)
func (l *wsLink) armRead(ctx context.Context) error {
	if ctx != l.rctx {
		l.watchCtx(ctx)
	}
	if !l.raw {
		l.conn.SetReadDeadline(time.Now().Add(l.timeout))
	}
	if err := ctx.Err(); err != nil {
		// After the deadline above: an end after this check sets its past
		// deadline later, and the read below returns.
		l.conn.SetReadDeadline(time.Unix(1, 0))
		return err
	}
	return nil
}

// watchCtx makes ctx's end cut the reader's blocked read, in place of the
// context registered before.
func (l *wsLink) watchCtx(ctx context.Context) {
	l.smu.Lock()
	defer l.smu.Unlock()
	if l.rstop != nil {
		l.rstop()
	}
	l.rctx = ctx
	select {
	case <-l.done:
		l.rstop = nil // closed: nothing to cut, and nothing to leave registered
		return
	default:
	}
	conn := l.conn
	l.rstop = context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
}

// read reads the next message and makes a frame of it (the welcome).
func (l *wsLink) read() (wire.Frame, error) {
	mt, r, err := l.conn.NextReader()
	var msg []byte
	if err == nil {
		msg, err = l.body(r)
	}
	if err != nil {
		return wire.Frame{}, l.readErr(readLimitErr(err, l.limit()))
	}
	return l.message(context.Background(), mt, msg)
}

// limit is the largest WebSocket message the link reads.
func (l *wsLink) limit() int64 { return int64(l.max) + wsOverhead }

// body reads the message r, which has begun, into the read buffer (made
// only now: an idle link holds none).
func (l *wsLink) body(r io.Reader) ([]byte, error) {
	if l.rbuf == nil {
		l.rbuf = make([]byte, 0, min(max(l.rnext, 512), 1<<20))
	}
	limit := l.limit()
	msg, err := readAllInto(r, l.rbuf[:0], limit)
	if err == nil && int64(len(msg)) > limit {
		return nil, tooLarge(limit, websocket.ErrReadLimit)
	}
	return msg, err
}

// message makes a frame of the message msg of type mt; errors as recvErr.
func (l *wsLink) message(ctx context.Context, mt int, msg []byte) (wire.Frame, error) {
	f, err := l.frame(mt, msg)
	if err != nil && ctx.Err() != nil {
		return f, ctx.Err()
	}
	return f, err
}

// readErr is the error of a failed read: a server's error close as a
// *link.ServerError.
func (l *wsLink) readErr(err error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) && ce.Code >= wire.CloseErrorBase+400 && ce.Code < wire.CloseErrorBase+600 {
		return &link.ServerError{Transport: wire.TransportWebSocket,
			Answer: wire.Error{Code: ce.Text, Message: "closed by the server", Status: ce.Code - wire.CloseErrorBase}, Err: err}
	}
	if errors.As(err, &ce) && ce.Code == websocket.CloseMessageTooBig && !l.raw {
		// 1009 with no e frame before it: as message_too_large
		// (PROTOCOL.md 7.3), which ends the session.
		return &link.ServerError{Transport: wire.TransportWebSocket,
			Answer: wire.Error{Code: wire.CodeMessageTooLarge, Message: "the server closed the WebSocket with 1009 (a message was too big)", Status: 413}, Err: err}
	}
	return err
}

// frame makes a frame of the message msg of type mt.
func (l *wsLink) frame(mt int, msg []byte) (wire.Frame, error) {
	if l.raw {
		k := wire.KindText
		if mt == websocket.BinaryMessage {
			k = wire.KindBinary
		}
		return wire.Frame{Kind: k, Data: l.handOver(msg, msg)}, nil
	}
	f, err := wire.ParseWS(mt == websocket.BinaryMessage, msg, l.max)
	if err != nil {
		return f, &link.ProtocolError{Reason: "bad frame from the server", Err: err}
	}
	if f.Kind == wire.KindText || f.Kind == wire.KindBinary {
		f.Data = l.handOver(msg, f.Data) // f.Data is msg after the header
	} else if cap(msg) > cap(l.rbuf) && cap(msg) <= maxKeptReadBuf {
		l.rbuf = msg[:0] // a grown buffer nobody holds: keep it
	}
	if f.Kind == wire.KindError {
		return f, &link.ServerError{Transport: wire.TransportWebSocket, Answer: *f.Error}
	}
	return f, nil
}

// handOver returns data (the payload within msg, read into l.rbuf or a
// grown copy of it) for the caller to own. When msg fills most of its
// buffer, the buffer goes with it and the next message is read into a new
// one the size of this message, so a stream of equal messages costs one
// allocation each and no copy. A small message in a large buffer is copied
// out instead, and the buffer kept (up to maxKeptReadBuf), so that a caller
// holding small messages never pins large buffers.
func (l *wsLink) handOver(msg, data []byte) []byte {
	l.rnext = len(msg)
	if cap(msg) <= 2*len(msg)+512 {
		l.rbuf = nil
		return data
	}
	out := make([]byte, len(data))
	copy(out, data)
	if cap(msg) <= maxKeptReadBuf {
		l.rbuf = msg[:0]
	} else {
		l.rbuf = nil
	}
	return out
}

// maxKeptReadBuf bounds the read buffer a link keeps between messages.
const maxKeptReadBuf = 64 << 10

// ping keeps a raw WebSocket alive and detects a dead peer (a missing
// pong lets the read deadline expire): it runs on a timer every
// RawPingInterval, so an idle link holds no goroutine for it.
func (l *wsLink) ping() {
	select {
	case <-l.done:
		return
	default:
	}
	if l.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second)) != nil {
		return
	}
	l.pings.Reset(l.every)
}

// Close sends a WebSocket close frame (1000), as the closing handshake
// asks (RFC 6455 5.5.1; it is also the echo of a server's close frame, so
// the server sees 1000, not 1006), then closes the connection. The frame
// is best effort, bounded by closeFrameWait.
func (l *wsLink) Close() error { return l.CloseWith(websocket.CloseNormalClosure) }

// CloseWith is Close with the close frame's code (1002 after a seq gap).
func (l *wsLink) CloseWith(code int) error {
	first := false
	l.once.Do(func() { close(l.done); first = true })
	if l.pings != nil {
		l.pings.Stop()
	}
	if first {
		_ = l.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""),
			time.Now().Add(closeFrameWait))
	}
	err := l.conn.Close()
	l.smu.Lock()
	if l.rstop != nil {
		l.rstop() // release the link from the reader's context
		l.rstop = nil
	}
	l.smu.Unlock()
	if l.acks != nil {
		l.acks.Stop()
	}
	return err
}

// closeFrameWait bounds the write of the close frame in Close.
const closeFrameWait = time.Second

// withErrorAnswer wraps a refused upgrade whose body is a Tether error
// object in a *link.ServerError, as the HTTP transports do, so the client
// acts on the code (session_not_found, too_many_sessions, ...).
func withErrorAnswer(err error) error {
	var he *HandshakeError
	if !errors.As(err, &he) || len(he.Body) == 0 {
		return err
	}
	e, ok := wire.ParseErrorObject(he.Body)
	if !ok || wire.StatusOf(e.Code) == 0 {
		return err
	}
	return &link.ServerError{Transport: wire.TransportWebSocket, Answer: *e, Err: err}
}
