//go:build js && wasm

package wasm

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"syscall/js"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/internal/jsutil"
	"github.com/tether-sdk/tether/transport"
)

// The bridge is the small object the JavaScript API (wasm/js/tether.js)
// drives: open, send, close, info and stats, on globalThis under a name.
// Its functions are called from the JS event loop and never block: sends
// are queued and handed to the client by a goroutine of each client.
// Events go back through the emit function given to open, called from Go
// goroutines; tether.js dispatches them in a microtask.

// RegisterBridge puts the bridge object on globalThis[name].
func RegisterBridge(name string) {
	b := &bridge{clients: map[int]*jsClient{}}
	obj := js.Global().Get("Object").New()
	obj.Set("open", jsutil.FuncOf(guard("open", b.open)))
	obj.Set("send", jsutil.FuncOf(guard("send", b.send)))
	obj.Set("close", jsutil.FuncOf(guard("close", b.close)))
	obj.Set("info", jsutil.FuncOf(guard("info", b.info)))
	obj.Set("stats", jsutil.FuncOf(guard("stats", b.stats)))
	js.Global().Set(name, obj)
}

// guard makes the bridge function name return a panic's message as its
// result (a string, which tether.js throws as an exception, from every
// call) instead of letting it end the Go program: a panic escaping a
// js.Func exits the runtime, and with it every client on the page. Calls
// with arguments of the wrong type (Value.Int of undefined, say) are what
// it catches; tether.js passes none.
func guard(name string, fn func(js.Value, []js.Value) any) func(js.Value, []js.Value) any {
	return func(this js.Value, args []js.Value) (ret any) {
		defer func() {
			if r := recover(); r != nil {
				ret = js.ValueOf("tether: bridge call " + name + " failed: " + panicText(r))
			}
		}()
		return fn(this, args)
	}
}

// panicText is a recovered value as text, without fmt.
func panicText(r any) string {
	switch v := r.(type) {
	case error:
		return v.Error()
	case string:
		return v
	}
	return "a panic"
}

type bridge struct {
	mu      sync.Mutex
	next    int
	clients map[int]*jsClient
}

// jsClient is one `new Tether(...)`.
type jsClient struct {
	b      *bridge
	id     int
	emit   js.Value // function(type, a, b, c)
	ctx    context.Context
	cancel context.CancelFunc
	max    int

	mu          sync.Mutex
	c           *client.Client
	out         []client.Message
	outBytes    int
	closing     bool
	closeCode   int
	closeReason string
	transport   string
	sid         string
	wake        chan struct{} // cap 1
}

func (b *bridge) get(v js.Value) *jsClient {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.clients[v.Int()]
}

// open(url, options, emit) -> id. The connect runs in a goroutine; its
// outcome comes as an "open" or an "error" + "close" event.
func (b *bridge) open(_ js.Value, args []js.Value) any {
	if len(args) < 3 {
		return js.ValueOf("open(url, options, emit): missing arguments")
	}
	o, err := optionsFromJS(args[1])
	if err != nil {
		return js.ValueOf(err.Error())
	}
	ctx, cancel := context.WithCancel(context.Background())
	jc := &jsClient{b: b, emit: args[2], ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1), max: o.MaxMessageBytes}
	if jc.max <= 0 {
		jc.max = client.DefaultMaxMessageBytes
	}
	b.mu.Lock()
	b.next++
	jc.id = b.next
	b.clients[jc.id] = jc
	b.mu.Unlock()
	o.OnEvent = jc.onEvent
	url := args[0].String()
	go jc.run(url, o)
	return js.ValueOf(jc.id)
}

func (jc *jsClient) run(url string, o *client.Options) {
	defer jc.release()
	c, err := client.Dial(jc.ctx, url, o)
	if err != nil {
		jc.mu.Lock()
		closing, code, reason := jc.closing, jc.closeCode, jc.closeReason
		jc.mu.Unlock()
		if closing {
			jc.emit.Invoke("close", code, reason, true)
			return
		}
		jc.emit.Invoke("error", err.Error())
		jc.emit.Invoke("close", 1006, err.Error(), false)
		return
	}
	jc.mu.Lock()
	jc.c = c
	jc.transport, jc.sid = c.Transport(), c.SessionID()
	jc.mu.Unlock()
	jc.emit.Invoke("open", c.Transport(), c.SessionID())
	go jc.sendLoop()
	jc.receiveLoop()
}

// receiveLoop hands messages to JS, then the close event once the client
// has ended and every message received before is out.
func (jc *jsClient) receiveLoop() {
	for {
		m, err := jc.c.Receive(context.Background())
		if errors.Is(err, client.ErrSessionLost) {
			// Reported once, by the SessionLostEvent ("error"); the client
			// goes on with a new session.
			continue
		}
		if err != nil {
			jc.closed(err)
			return
		}
		if m.Binary {
			a := jsutil.BytesToJS(m.Data)
			jc.emit.Invoke("message", a.Get("buffer"), true)
		} else {
			jc.emit.Invoke("message", string(m.Data), false)
		}
	}
}

func (jc *jsClient) closed(err error) {
	jc.mu.Lock()
	code, reason := jc.closeCode, jc.closeReason
	jc.mu.Unlock()
	var ce *client.CloseError
	switch {
	case errors.As(err, &ce):
		jc.emit.Invoke("close", int(ce.Code), ce.Reason, true)
	case err == client.ErrClosed:
		if code == 0 {
			code = 1000
		}
		jc.emit.Invoke("close", code, reason, true)
	default:
		jc.emit.Invoke("error", err.Error())
		jc.emit.Invoke("close", 1006, err.Error(), false)
	}
}

// closeWait bounds a close from JS: the server's answer and the delivery of
// the final events.
const closeWait = 10 * time.Second

// sendLoop hands queued messages to the client in order (waiting for room
// in its queue), then closes the client when asked to.
func (jc *jsClient) sendLoop() {
	for {
		jc.mu.Lock()
		if len(jc.out) == 0 {
			closing := jc.closing
			jc.mu.Unlock()
			if closing {
				ctx, cancel := context.WithTimeout(context.Background(), closeWait)
				jc.mu.Lock()
				code, reason := jc.closeCode, jc.closeReason
				jc.mu.Unlock()
				// The code and reason reach the server; waits for its
				// answer and the final events. tether.js checked them.
				if jc.c.CloseWith(ctx, client.CloseCode(code), reason) != nil {
					jc.c.Close(ctx)
				}
				cancel()
				return
			}
			select {
			case <-jc.wake:
				continue
			case <-jc.ctx.Done():
				return
			}
		}
		m := jc.out[0]
		jc.out[0] = client.Message{}
		jc.out = jc.out[1:]
		jc.mu.Unlock()
		err := jc.c.Send(jc.ctx, m)
		jc.mu.Lock()
		jc.outBytes -= len(m.Data)
		jc.mu.Unlock()
		if errors.Is(err, client.ErrClosed) || jc.ctx.Err() != nil {
			return
		}
		if err != nil {
			jc.emit.Invoke("error", err.Error())
		}
	}
}

// onEvent runs on the client's event goroutine.
func (jc *jsClient) onEvent(e client.Event) {
	switch e := e.(type) {
	case client.ReconnectingEvent:
		cause := ""
		if e.Cause != nil {
			cause = e.Cause.Error()
		}
		jc.emit.Invoke("reconnecting", e.Attempt, e.Delay.Milliseconds(), cause)
	case client.ConnectedEvent:
		jc.mu.Lock()
		c, from := jc.c, jc.transport
		if c == nil { // the first connect: "open" follows from run
			jc.mu.Unlock()
			return
		}
		jc.transport, jc.sid = e.Transport, c.SessionID()
		jc.mu.Unlock()
		if from != e.Transport {
			jc.emit.Invoke("transportchange", e.Transport, e.Reason, from)
		}
	case client.TransportChangedEvent:
		jc.mu.Lock()
		jc.transport = e.To
		jc.mu.Unlock()
		jc.emit.Invoke("transportchange", e.To, e.Reason, e.From)
	case client.SessionLostEvent:
		jc.emit.Invoke("error", "tether: session lost: "+errString(e.Cause))
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// release forgets the client: nothing of it stays in the bridge.
func (jc *jsClient) release() {
	jc.cancel()
	jc.b.mu.Lock()
	delete(jc.b.clients, jc.id)
	jc.b.mu.Unlock()
}

// send(id, data, binary) -> bufferedAmount, or a string: the error.
func (b *bridge) send(_ js.Value, args []js.Value) any {
	if len(args) < 3 {
		return js.ValueOf("send(id, data, binary): missing arguments")
	}
	jc := b.get(args[0])
	if jc == nil {
		return js.ValueOf(0) // closed: dropped, as a closed WebSocket does
	}
	var m client.Message
	if args[2].Bool() {
		m = client.Binary(jsutil.BytesFromJS(args[1]))
	} else {
		m = client.Text(args[1].String())
	}
	if len(m.Data) > jc.max {
		return js.ValueOf("tether: message of " + itoa(len(m.Data)) + " bytes is over maxMessageBytes (" + itoa(jc.max) + ")")
	}
	jc.mu.Lock()
	defer jc.mu.Unlock()
	if jc.closing {
		return js.ValueOf(jc.buffered())
	}
	jc.out = append(jc.out, m)
	jc.outBytes += len(m.Data)
	select {
	case jc.wake <- struct{}{}:
	default:
	}
	return js.ValueOf(jc.buffered())
}

// close(id, code, reason): queued messages go first, then the close.
func (b *bridge) close(_ js.Value, args []js.Value) any {
	jc := b.get(jsutil.Arg0(args))
	if jc == nil {
		return nil
	}
	jc.mu.Lock()
	defer jc.mu.Unlock()
	if jc.closing {
		return nil
	}
	jc.closing = true
	jc.closeCode = 1000
	if len(args) > 1 && args[1].Type() == js.TypeNumber {
		jc.closeCode = args[1].Int()
	}
	if len(args) > 2 && args[2].Type() == js.TypeString {
		jc.closeReason = args[2].String()
	}
	if jc.c == nil {
		jc.cancel() // still connecting: stop
	}
	select {
	case jc.wake <- struct{}{}:
	default:
	}
	return nil
}

// buffered is the bufferedAmount: bytes given to send that the server has
// not acknowledged (waiting here for room in the client's queue, or in the
// client's queue, in flight, or unacknowledged). jc.mu is held.
func (jc *jsClient) buffered() int {
	n := jc.outBytes
	if jc.c != nil {
		n += jc.c.Buffered()
	}
	return n
}

// info(id) -> {transport, sessionId, bufferedAmount}.
func (b *bridge) info(_ js.Value, args []js.Value) any {
	jc := b.get(jsutil.Arg0(args))
	if jc == nil {
		return js.ValueOf(map[string]any{"transport": "", "sessionId": "", "bufferedAmount": 0})
	}
	jc.mu.Lock()
	defer jc.mu.Unlock()
	return js.ValueOf(map[string]any{"transport": jc.transport, "sessionId": jc.sid, "bufferedAmount": jc.buffered()})
}

// stats() -> {clients, funcs, goroutines, heapBytes}: for tests of
// releasing. It runs a garbage collection first, so heapBytes is what is
// live.
func (b *bridge) stats(js.Value, []js.Value) any {
	b.mu.Lock()
	n := len(b.clients)
	b.mu.Unlock()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return js.ValueOf(map[string]any{"clients": n, "funcs": jsutil.LiveFuncs(), "goroutines": runtime.NumGoroutine(), "heapBytes": ms.HeapAlloc})
}

func itoa(n int) string { return js.ValueOf(n).Call("toString").String() }

// optionsFromJS reads the options object of `new Tether(url, options)`.
// Durations are in milliseconds.
func optionsFromJS(v js.Value) (*client.Options, error) {
	o := &client.Options{}
	if !v.Truthy() {
		return o, nil
	}
	if t := v.Get("transports"); t.Truthy() {
		if !js.Global().Get("Array").Call("isArray", t).Bool() {
			return nil, errors.New("tether: options.transports must be an array of \"websocket\", \"sse\", \"longpoll\"")
		}
		for i := 0; i < t.Length(); i++ {
			s := t.Index(i).String()
			if s != "websocket" && s != "sse" && s != "longpoll" {
				return nil, errors.New("tether: options.transports: unknown transport " + s + " (use websocket, sse or longpoll)")
			}
			o.Transports = append(o.Transports, s)
		}
		if len(o.Transports) == 0 {
			return nil, errors.New("tether: options.transports is empty")
		}
	}
	if h := v.Get("headers"); h.Truthy() {
		o.Header = transport.Header{}
		entries := js.Global().Get("Object").Call("entries", h)
		for i := 0; i < entries.Length(); i++ {
			e := entries.Index(i)
			o.Header.Add(e.Index(0).String(), e.Index(1).String())
		}
	}
	if v.Get("debug").Truthy() {
		o.Logger = newConsoleLogger()
	}
	ms := func(name string, d *time.Duration) {
		if x := v.Get(name); x.Type() == js.TypeNumber {
			*d = time.Duration(x.Float() * float64(time.Millisecond))
		}
	}
	num := func(name string, n *int) {
		if x := v.Get(name); x.Type() == js.TypeNumber {
			*n = x.Int()
		}
	}
	ms("slowTimeout", &o.SlowTimeout)
	ms("firstEventWait", &o.FirstEventWait)
	ms("initialBackoff", &o.InitialBackoff)
	ms("maxBackoff", &o.MaxBackoff)
	ms("healthyAfter", &o.HealthyAfter)
	ms("probeInterval", &o.ProbeInterval)
	num("maxAttempts", &o.MaxAttempts)
	num("maxQueuedBytes", &o.MaxQueuedBytes)
	num("maxMessageBytes", &o.MaxMessageBytes)
	return o, nil
}
