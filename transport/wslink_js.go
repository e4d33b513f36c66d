//go:build js && wasm

package transport

import (
	"context"
	"sync"
	"syscall/js"
	"time"

	"github.com/tether-sdk/tether/internal/jsutil"
	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/internal/xfmt"
)

// handshakeTimeout bounds a WebSocket attach: open, hello, welcome.
const handshakeTimeout = wire.DefaultHandshake

// wsLink is a session link over the browser's WebSocket. The browser gives
// no backpressure on receive: messages wait in queue until Recv takes them;
// the server's send window (its MaxBufferedBytes of unacknowledged data)
// bounds that queue.
type wsLink struct {
	ws      js.Value
	url     string
	funcs   []js.Func
	welcome *wire.Welcome
	max     int
	hdr     []byte

	opened   chan struct{} // cap 1: the open event
	ready    chan struct{} // cap 1: a token after every push
	closed   chan struct{} // closed by Close
	deadCh   chan struct{} // closed by die
	closeErr error

	mu       sync.Mutex
	queue    []wsMsg
	dead     error // why the WebSocket ended; Recv returns it once queue is empty
	timeout  time.Duration
	watchdog *time.Timer
	once     sync.Once
	dieOnce  sync.Once
	wmu      sync.Mutex  // one Send at a time (hdr)
	acks     *link.Acker // acks: with the next Send, or alone within wsAckDelay
}

type wsMsg struct {
	binary bool
	data   []byte
}

// dialWS opens a WebSocket to url offering tether.v1, says hello and waits
// for the welcome.
func dialWS(ctx context.Context, url string, max int, a link.Attach) (*wsLink, error) {
	l := &wsLink{
		url: url, max: max,
		opened: make(chan struct{}, 1), ready: make(chan struct{}, 1),
		closed: make(chan struct{}), deadCh: make(chan struct{}),
		closeErr: errClosed(wire.TransportWebSocket),
	}
	if err := jsutil.Catch(func() {
		l.ws = js.Global().Get("WebSocket").New(url, js.ValueOf([]any{wire.Subprotocol}))
	}); err != nil {
		// The browser refused to even start (a bad URL, a blocked port,
		// mixed content it enforces itself): no retry helps.
		return nil, &HandshakeError{Transport: wire.TransportWebSocket, URL: url, Class: ClassConfig, Err: err}
	}
	if a.Sent != nil {
		a.Sent(browserRTT())
	}
	// Idle until the client reports a recv; Close (fail, below) stops it.
	// An ack rides with the next Send, or goes alone within wsAckDelay (at
	// once after wsAckEvery frames), as on the native link: ping-pong
	// traffic then costs one WebSocket message per message, not two.
	l.acks = link.NewDelayedAcker(wsAckDelay, wsAckEvery, func(recv uint64) error {
		return l.Send(context.Background(), []wire.Frame{{Kind: wire.KindAck, Seq: recv}})
	})
	l.ws.Set("binaryType", "arraybuffer")
	l.listen("open", func(js.Value) {
		select {
		case l.opened <- struct{}{}:
		default:
		}
	})
	l.listen("message", l.onMessage)
	l.listen("close", func(e js.Value) {
		l.die(&closeEvent{Code: e.Get("code").Int(), Reason: e.Get("reason").String(), WasClean: e.Get("wasClean").Bool()})
	})

	hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	fail := func(err error) (*wsLink, error) {
		l.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	select {
	case <-l.opened:
	case <-l.deadCh:
		// Closed before it opened: refused or unreachable. The browser
		// hides which, and the status code of a refusal.
		return fail(&HandshakeError{Transport: wire.TransportWebSocket, URL: url, Class: ClassRefused, Err: l.deathCause()})
	case <-hctx.Done():
		return fail(&HandshakeError{Transport: wire.TransportWebSocket, URL: url, Class: ClassNetwork,
			Err: xfmt.Errorf("the WebSocket did not open within %v", handshakeTimeout)})
	}
	if p := l.ws.Get("protocol").String(); p != wire.Subprotocol {
		return fail(&link.ProtocolError{Reason: xfmt.Sprintf("the server at %s does not speak %s (it chose subprotocol %q)", url, wire.Subprotocol, p)})
	}
	hello := wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: wire.Version, SID: a.SID, Key: a.Key, Ack: a.Ack, Probe: a.Probe}}
	if err := l.Send(hctx, []wire.Frame{hello}); err != nil {
		return fail(err)
	}
	f, err := l.Recv(hctx)
	if err != nil {
		return fail(xfmt.Errorf("tether: websocket: waiting for the welcome: %w", err))
	}
	switch f.Kind {
	case wire.KindWelcome:
	default:
		return fail(&link.ProtocolError{Reason: "the server answered the hello with a " + f.Kind.String() + " frame"})
	}
	l.welcome = f.Welcome
	timeout := time.Duration(f.Welcome.Timeout) * time.Millisecond
	if timeout <= 0 {
		timeout = wire.DefaultTimeout
	}
	if f.Welcome.Max > 0 {
		l.max = int(f.Welcome.Max)
	}
	l.mu.Lock()
	l.timeout = timeout
	l.watchdog = time.AfterFunc(timeout, func() {
		l.die(errSilent(wire.TransportWebSocket, "no frame", timeout))
		l.ws.Call("close", 4000, "no frame in time")
	})
	l.mu.Unlock()
	return l, nil
}

// Acked lets an ack ride with the next Send, or sends it alone within
// wsAckDelay (at once after wsAckEvery frames).
func (l *wsLink) Acked(recv uint64) { l.acks.Acked(recv) }

// listen adds an event listener whose js.Func Close removes and releases.
func (l *wsLink) listen(event string, fn func(e js.Value)) {
	f := jsutil.FuncOf(func(_ js.Value, args []js.Value) any {
		fn(jsutil.Arg0(args))
		return nil
	})
	l.funcs = append(l.funcs, f)
	l.ws.Call("addEventListener", event, f)
}

// onMessage runs on the event loop: it queues the message and returns.
func (l *wsLink) onMessage(e js.Value) {
	d := e.Get("data")
	var m wsMsg
	if d.Type() == js.TypeString {
		m = wsMsg{data: []byte(d.String())}
	} else {
		m = wsMsg{binary: true, data: jsutil.BytesFromJS(d)}
	}
	l.mu.Lock()
	l.queue = append(l.queue, m)
	if l.watchdog != nil {
		l.watchdog.Reset(l.timeout) // every frame is a sign of life
	}
	l.mu.Unlock()
	select {
	case l.ready <- struct{}{}:
	default:
	}
}

func (l *wsLink) die(err error) {
	l.dieOnce.Do(func() {
		l.mu.Lock()
		l.dead = err
		if l.watchdog != nil {
			l.watchdog.Stop()
		}
		l.mu.Unlock()
		close(l.deadCh)
	})
}

func (l *wsLink) deathCause() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dead
}

func (l *wsLink) Transport() string      { return wire.TransportWebSocket }
func (l *wsLink) Welcome() *wire.Welcome { return l.welcome }

// Send writes frames with the WebSocket's send, which queues in the browser
// and never blocks. A WebSocket that is not open drops what it is given
// without a word, so Send checks the state first.
func (l *wsLink) Send(ctx context.Context, frames []wire.Frame) error {
	select {
	case <-l.closed:
		return l.closeErr
	case <-l.deadCh:
		return l.deathCause()
	default:
	}
	if s := l.ws.Get("readyState").Int(); s != 1 {
		return xfmt.Errorf("tether: websocket: not open (readyState %d)", s)
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if recv, ok := l.acks.Take(); ok {
		frames = append([]wire.Frame{{Kind: wire.KindAck, Seq: recv}}, frames...)
	}
	for i := range frames {
		f := &frames[i]
		var binary bool
		var b []byte
		if f.Kind == wire.KindText || f.Kind == wire.KindBinary {
			b = append(wire.AppendDataHeader(l.hdr[:0], f.Kind, f.Seq), f.Data...)
			binary = f.Kind == wire.KindBinary
		} else {
			var err error
			if binary, b, err = wire.AppendWS(l.hdr[:0], f); err != nil {
				return err
			}
		}
		var v js.Value
		if binary {
			v = jsutil.BytesToJS(b)
		} else {
			v = js.ValueOf(string(b))
		}
		if len(b) <= 64<<10 {
			l.hdr = b[:0]
		}
		if err := jsutil.Catch(func() { l.ws.Call("send", v) }); err != nil {
			return xfmt.Errorf("tether: websocket: send: %w", err)
		}
	}
	return nil
}

// Recv returns the next frame. Error frames, and a close with 4000 +
// status, come back as a *link.ServerError.
func (l *wsLink) Recv(ctx context.Context) (wire.Frame, error) {
	for {
		select {
		case <-l.closed:
			return wire.Frame{}, l.closeErr
		default:
		}
		l.mu.Lock()
		if len(l.queue) > 0 {
			m := l.queue[0]
			l.queue[0] = wsMsg{}
			l.queue = l.queue[1:]
			l.mu.Unlock()
			f, err := wire.ParseWS(m.binary, m.data, l.max)
			if err != nil {
				return f, &link.ProtocolError{Reason: "bad frame from the server", Err: err}
			}
			if f.Kind == wire.KindError {
				return f, &link.ServerError{Transport: wire.TransportWebSocket, Answer: *f.Error}
			}
			return f, nil
		}
		dead := l.dead
		l.mu.Unlock()
		if dead != nil {
			var ce *closeEvent
			if asCloseError(dead, &ce) && ce.Code >= wire.CloseErrorBase+400 && ce.Code < wire.CloseErrorBase+600 {
				return wire.Frame{}, &link.ServerError{Transport: wire.TransportWebSocket,
					Answer: wire.Error{Code: ce.Reason, Message: "closed by the server", Status: ce.Code - wire.CloseErrorBase}, Err: dead}
			}
			return wire.Frame{}, dead
		}
		select {
		case <-l.ready:
		case <-l.deadCh:
		case <-l.closed:
		case <-ctx.Done():
			return wire.Frame{}, ctx.Err()
		}
	}
}

func asCloseError(err error, target **closeEvent) bool {
	ce, ok := err.(*closeEvent)
	if ok {
		*target = ce
	}
	return ok
}

// Close closes the WebSocket (1000) and releases the link's js.Funcs.
func (l *wsLink) Close() error {
	l.once.Do(func() {
		close(l.closed)
		l.die(l.closeErr)
		if s := l.ws.Get("readyState").Int(); s < 2 {
			jsutil.Catch(func() { l.ws.Call("close", 1000, "") })
		}
		events := []string{"open", "message", "close"}
		for i, f := range l.funcs {
			l.ws.Call("removeEventListener", events[i], f)
			jsutil.Release(f)
		}
		l.funcs = nil
	})
	if l.acks != nil {
		l.acks.Stop()
	}
	return nil
}

// closeEvent is a WebSocket closed by the browser or the server before the
// link ended it, with the close event's code, reason and wasClean. Code
// 1006 means the connection failed or was refused; the browser hides the
// HTTP status of a refused upgrade.
type closeEvent struct {
	Code     int
	Reason   string
	WasClean bool
}

func (e *closeEvent) Error() string {
	if e.Code == 1006 {
		return "tether: websocket: the connection failed or the upgrade was refused (close 1006; the browser does not tell which)"
	}
	return xfmt.Sprintf("tether: websocket closed: %d %q (clean: %v)", e.Code, e.Reason, e.WasClean)
}

// errClosed is what calls on a link closed by Close return.
func errClosed(transportName string) error {
	return xfmt.Errorf("tether: %s link closed: %w", transportName, link.ErrClosed)
}

// errSilent is a link's liveness failure: no sign of life for d.
func errSilent(transportName, what string, d time.Duration) error {
	return xfmt.Errorf("tether: %s: %s within %v: the connection is dead: %w", transportName, what, d, link.ErrDeadlineExceeded)
}
