package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/wire"
)

// wsConn is a raw WebSocket to the server. One goroutine reads every
// message into a channel, so a check can wait for the next one with a
// bound and go on reading afterwards (gorilla's read deadlines are final).
type wsConn struct {
	e    *env
	c    *websocket.Conn
	msgs chan wsMsg
	done chan struct{} // closed when the check ends
}

// wsMsg is one message read, or the error that ended the reads.
type wsMsg struct {
	binary bool
	data   []byte
	err    error
}

// errNoAnswer marks a wait that ended without the expected answer.
var errNoAnswer = errors.New("no answer")

// dialWS opens a WebSocket offering tether.v1 and checks that the server
// selected it.
func (e *env) dialWS(ctx context.Context) (*wsConn, error) {
	return e.dialWSWith(ctx, nil, []string{wire.Subprotocol})
}

func (e *env) dialWSWith(ctx context.Context, h http.Header, sub []string) (*wsConn, error) {
	dctx, cancel := context.WithTimeout(ctx, e.patience)
	defer cancel()
	c, resp, err := e.cfg.DialWebSocket(dctx, h, sub)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("WebSocket upgrade refused: %s", describeResponse(resp))
		}
		return nil, fmt.Errorf("WebSocket dial: %w", err)
	}
	if len(sub) > 0 && c.Subprotocol() != wire.Subprotocol {
		c.Close()
		return nil, fmt.Errorf("the server upgraded without selecting subprotocol %s (Sec-WebSocket-Protocol: %q)", wire.Subprotocol, c.Subprotocol())
	}
	w := &wsConn{e: e, c: c, msgs: make(chan wsMsg, 64), done: make(chan struct{})}
	go w.readLoop()
	context.AfterFunc(ctx, func() { close(w.done); c.Close() })
	return w, nil
}

func (w *wsConn) readLoop() {
	for {
		mt, data, err := w.c.ReadMessage()
		m := wsMsg{binary: mt == websocket.BinaryMessage, data: data, err: err}
		select {
		case w.msgs <- m:
		case <-w.done:
			return
		}
		if err != nil {
			close(w.msgs)
			return
		}
	}
}

// close drops the connection without a close handshake (a network cut).
func (w *wsConn) close() { w.c.Close() }

func (w *wsConn) sendRaw(binary bool, data []byte) error {
	mt := websocket.TextMessage
	if binary {
		mt = websocket.BinaryMessage
	}
	w.c.SetWriteDeadline(time.Now().Add(w.e.patience))
	if err := w.c.WriteMessage(mt, data); err != nil {
		return fmt.Errorf("writing to the WebSocket: %w", err)
	}
	return nil
}

func (w *wsConn) sendText(s string) error { return w.sendRaw(false, []byte(s)) }

func (w *wsConn) send(f wire.Frame) error {
	binary, b, err := wire.AppendWS(nil, &f)
	if err != nil {
		return err
	}
	return w.sendRaw(binary, b)
}

// next returns the next frame, parsed strictly. A closed connection is a
// *closedError; a message that is not a valid frame is an error naming it.
func (w *wsConn) next(ctx context.Context, d time.Duration) (wire.Frame, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case m, ok := <-w.msgs:
		if !ok {
			return wire.Frame{}, &closedError{code: -1, err: errors.New("connection already closed")}
		}
		if m.err != nil {
			var ce *websocket.CloseError
			if errors.As(m.err, &ce) {
				return wire.Frame{}, &closedError{code: ce.Code, text: ce.Text, err: m.err}
			}
			return wire.Frame{}, &closedError{code: -1, err: m.err}
		}
		f, err := wire.ParseWS(m.binary, m.data, 1<<62)
		if err != nil {
			return wire.Frame{}, fmt.Errorf("the server sent a malformed frame %s: %w", quoteMsg(m.data), err)
		}
		return f, nil
	case <-t.C:
		return wire.Frame{}, fmt.Errorf("%w within %v", errNoAnswer, d)
	case <-ctx.Done():
		return wire.Frame{}, fmt.Errorf("%w: %w", errNoAnswer, ctx.Err())
	}
}

// closedError is the end of a WebSocket: a close frame (code) or a broken
// connection (code -1).
type closedError struct {
	code int
	text string
	err  error
}

func (c *closedError) Error() string {
	if c.code < 0 {
		return "the connection ended without a close frame (" + c.err.Error() + ")"
	}
	return fmt.Sprintf("the WebSocket was closed with code %d %q", c.code, c.text)
}

// hello sends h and expects a welcome as the first message.
func (w *wsConn) hello(ctx context.Context, h wire.Hello) (*wire.Welcome, error) {
	if h.V == 0 {
		h.V = wire.Version
	}
	_, b, err := wire.AppendWS(nil, &wire.Frame{Kind: wire.KindHello, Hello: &h})
	if err != nil {
		return nil, err
	}
	return w.helloText(ctx, string(b))
}

// helloText sends a hello as given and expects a welcome as the first
// message. A too_many_sessions error frame is a *refusedNew.
func (w *wsConn) helloText(ctx context.Context, hello string) (*wire.Welcome, error) {
	if err := w.sendText(hello); err != nil {
		return nil, err
	}
	f, err := w.next(ctx, w.e.patience)
	if err != nil {
		return nil, fmt.Errorf("after the hello: %w", err)
	}
	if f.Kind == wire.KindError && f.Error.Code == wire.CodeTooManySessions {
		return nil, &refusedNew{retry: time.Duration(f.Error.Retry) * time.Millisecond}
	}
	if f.Kind != wire.KindWelcome {
		return nil, fmt.Errorf("after the hello the first frame was %s, not a welcome", describeFrame(&f))
	}
	return f.Welcome, nil
}

// expect reads frames until keep returns true for one, skipping acks,
// pongs, data (echoes arrive whenever the endpoint sends them) and pings
// (answered with a pong carrying recv). Any other frame fails.
func (w *wsConn) expect(ctx context.Context, what string, recv uint64, keep func(*wire.Frame) bool) (wire.Frame, error) {
	deadline := time.Now().Add(w.e.patience)
	for {
		f, err := w.next(ctx, time.Until(deadline))
		if err != nil {
			return f, fmt.Errorf("waiting for %s: %w", what, err)
		}
		if keep(&f) {
			return f, nil
		}
		switch f.Kind {
		case wire.KindPing:
			w.send(wire.Frame{Kind: wire.KindPong, Seq: recv})
		case wire.KindAck, wire.KindPong, wire.KindText, wire.KindBinary:
		default:
			return f, fmt.Errorf("waiting for %s, got %s", what, describeFrame(&f))
		}
	}
}

// ping sends p<recv> and returns the server's recv from the pong, skipping
// acks, pings and data on the way (data is returned in got).
func (w *wsConn) ping(ctx context.Context, recv uint64) (ack uint64, got []wire.Frame, err error) {
	if err := w.send(wire.Frame{Kind: wire.KindPing, Seq: recv}); err != nil {
		return 0, nil, err
	}
	deadline := time.Now().Add(w.e.patience)
	for {
		f, err := w.next(ctx, time.Until(deadline))
		if err != nil {
			return 0, got, fmt.Errorf("waiting for the pong to p%d: %w", recv, err)
		}
		switch f.Kind {
		case wire.KindPong:
			return f.Seq, got, nil
		case wire.KindText, wire.KindBinary:
			got = append(got, f)
		case wire.KindAck, wire.KindPing:
		default:
			return 0, got, fmt.Errorf("waiting for the pong to p%d, got %s", recv, describeFrame(&f))
		}
	}
}

// expectError expects an error frame with code (and its status), then a
// WebSocket close with 4000 + status.
func (w *wsConn) expectError(ctx context.Context, code string) error {
	status := wire.StatusOf(code)
	deadline := time.Now().Add(w.e.patience)
	for {
		f, err := w.next(ctx, time.Until(deadline))
		if err != nil {
			return fmt.Errorf("expected an e frame %s and close %d: %w", code, wire.CloseErrorBase+status, err)
		}
		switch f.Kind {
		case wire.KindAck, wire.KindPing, wire.KindPong, wire.KindText, wire.KindBinary:
			continue
		case wire.KindError:
		default:
			return fmt.Errorf("expected an e frame %s, got %s", code, describeFrame(&f))
		}
		if f.Error.Code != code {
			return fmt.Errorf("expected error %s, got %s", code, describeFrame(&f))
		}
		if f.Error.Status != 0 && f.Error.Status != status {
			return fmt.Errorf("error %s carries status %d, not %d", code, f.Error.Status, status)
		}
		if code == wire.CodeUnsupportedVersion && !containsInt(f.Error.Versions, wire.Version) {
			return fmt.Errorf("unsupported_version does not list the versions the server speaks (versions: %v)", f.Error.Versions)
		}
		return w.expectClose(ctx, wire.CloseErrorBase+status, "after the e frame "+code)
	}
}

// expectClose expects the WebSocket close frame with code next.
func (w *wsConn) expectClose(ctx context.Context, code int, after string) error {
	f, err := w.next(ctx, w.e.patience)
	var ce *closedError
	switch {
	case errors.As(err, &ce) && ce.code == code:
		return nil
	case err != nil:
		return fmt.Errorf("%s expected WebSocket close %d: %w", after, code, err)
	}
	return fmt.Errorf("%s expected WebSocket close %d, got %s", after, code, describeFrame(&f))
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// describeFrame shows a frame for a failure message, payloads shortened.
func describeFrame(f *wire.Frame) string {
	b, err := wire.AppendJSON(nil, f)
	if err != nil {
		return f.Kind.String() + " frame"
	}
	return f.Kind.String() + " frame " + shorten(string(b))
}

func quoteMsg(b []byte) string { return fmt.Sprintf("%q", shorten(string(b))) }

func shorten(s string) string {
	if len(s) > 160 {
		return s[:150] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}
