package mobile

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/transport"
)

// Errors of the calls (their messages reach Java and Swift as the
// exception's or NSError's message).
var (
	errNotConnected = errors.New("tether/mobile: not connected: call Connect or Start first")
	errDialFailed   = errors.New("tether/mobile: the connect failed (StateClosed said why); make a new Client")
	errStarted      = errors.New("tether/mobile: Connect or Start was already called on this client; make a new Client to connect again")
	errClosedCall   = errors.New("tether/mobile: the client is closed; make a new Client")
)

// closeWait bounds the background close: the server's answer to the close
// frame (at most 5 s) and the last callbacks.
const closeWait = 10 * time.Second

// Client is a connection to a Tether server that survives the network:
// WebSocket with fallback to SSE and long-polling, reconnect with backoff,
// and a session that resumes with nothing lost or repeated.
//
// Threads: every method may be called from any thread. Calls that block
// (call them off the UI thread: a coroutine on Dispatchers.IO, a Task):
// Connect, Flush, WaitClosed. Every other call returns as soon as its work
// is queued: Start, Send, SendText, Pause, Resume, NetworkChanged, Close,
// and the getters. Callbacks go to the Handler in order, from one
// goroutine on one thread (see Handler).
type Client struct {
	url  string
	o    client.Options
	d    *dispatcher
	life context.Context // ends with Close
	end  context.CancelFunc

	mu        sync.Mutex
	cl        *client.Client
	started   bool
	dialed    bool // Connect's or Start's dial returned
	closed    bool
	closeDone chan struct{} // closed when Close's work is done

	// Messages sent while Connect or Start is connecting, sent when it
	// succeeds (dropped if it fails).
	pending      []client.Message
	pendingBytes int
	sawClosed    atomic.Bool // the client's ClosedEvent arrived
	state        atomic.Int64
}

// NewClient makes a client for url (wss:// or https://; ws:// and http://
// only for loopback hosts unless Config.SetInsecureAllowPlaintext) with the
// settings of cfg (nil: defaults) and h for the callbacks. It checks the
// URL and settings and does not connect: call Connect or Start. It returns
// at once.
func NewClient(url string, cfg *Config, h Handler) (c *Client, err error) {
	defer guard(&err)
	if h == nil {
		return nil, errors.New("tether/mobile: NewClient needs a Handler for the messages and state changes")
	}
	o, err := cfg.options()
	if err != nil {
		return nil, err
	}
	if _, err := transport.ParseTarget(url, o.Dial.URLRules); err != nil {
		return nil, err
	}
	life, end := context.WithCancel(context.Background())
	c = &Client{url: url, o: o, d: newDispatcher(h), life: life, end: end, closeDone: make(chan struct{})}
	c.o.OnEvent = c.onEvent
	c.state.Store(-1)
	return c, nil
}

// Connect connects and returns once a transport carries the session. It
// BLOCKS for the connect: at most Config.SetConnectTimeoutMs per transport
// (15 s by default), longer if the server asks to wait (a 429): call it off
// the UI thread, or use Start. On failure the error names every transport
// tried and why (a pin that did not match, the proxy that refused), and
// the Handler gets StateClosed. Close from another thread cancels it.
func (c *Client) Connect() (err error) {
	defer guard(&err)
	if err := c.begin(); err != nil {
		return err
	}
	return c.dial()
}

// Start connects in the background and returns at once; the Handler hears
// how it goes (StateConnected, or StateClosed with the cause). With
// Config.SetRetryOnFailedConnect, a first connect that fails for a reason
// that may heal is retried with backoff.
func (c *Client) Start() (err error) {
	defer guard(&err)
	if err := c.begin(); err != nil {
		return err
	}
	go func() {
		defer swallow(c.report)
		_ = c.dial() // reported to the Handler
	}()
	return nil
}

func (c *Client) begin() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return errClosedCall
	case c.started:
		return errStarted
	}
	c.started = true
	c.d.start()
	return nil
}

func (c *Client) dial() error {
	cl, err := client.Dial(c.life, c.url, &c.o)
	if err != nil {
		if !c.sawClosed.Load() {
			// Dial failed before it had events to send (a setting).
			c.d.push(item{state: &StateChange{state: StateClosed, err: info(err)}})
		}
		c.mu.Lock()
		c.dialed = true
		c.pending, c.pendingBytes = nil, 0
		if c.closed {
			close(c.closeDone)
		}
		c.mu.Unlock()
		return err
	}
	c.mu.Lock()
	c.dialed = true
	c.cl = cl
	for _, m := range c.pending {
		if err := c.sendNow(cl, m); err != nil {
			c.d.push(item{err: info(fmt.Errorf("tether/mobile: a message sent while connecting could not be queued: %w", err))})
		}
	}
	c.pending, c.pendingBytes = nil, 0
	closed := c.closed
	c.mu.Unlock()
	go c.pump(cl)
	if closed {
		// Close came while connecting.
		c.closeClient(cl)
		return errClosedCall
	}
	return nil
}

// pump moves messages from the client's inbox to the Handler.
func (c *Client) pump(cl *client.Client) {
	defer swallow(c.report)
	for c.d.waitRoom(context.Background()) {
		m, err := cl.Receive(context.Background())
		if errors.Is(err, client.ErrSessionLost) {
			continue // reported with its list by the SessionLostEvent
		}
		if err != nil {
			return // closed: StateClosed says why
		}
		kind := KindText
		if m.Binary {
			kind = KindBinary
		}
		c.d.push(item{msg: &Message{kind: kind, data: m.Data}})
	}
}

// onEvent turns the client's events into callbacks.
func (c *Client) onEvent(ev client.Event) {
	defer swallow(nil)
	var s *StateChange
	switch e := ev.(type) {
	case client.ConnectingEvent:
		s = &StateChange{state: StateConnecting, attempt: e.Attempt}
	case client.ConnectedEvent:
		s = &StateChange{state: StateConnected, transport: e.Transport, reason: e.Reason, resumed: e.Resumed}
	case client.TransportChangedEvent:
		s = &StateChange{state: StateConnected, transport: e.To, reason: e.Reason, resumed: true}
	case client.ReconnectingEvent:
		s = &StateChange{state: StateReconnecting, attempt: e.Attempt, delayMs: e.Delay.Milliseconds(), err: info(e.Cause)}
	case client.DisconnectedEvent:
		s = &StateChange{state: StateDisconnected, transport: e.Transport, err: info(e.Cause)}
		if errors.Is(e.Cause, client.ErrPaused) {
			s.state = StatePaused
		}
		if s.err != nil {
			s.reason = s.err.msg
		}
	case client.SessionLostEvent:
		l := &MessageList{}
		for _, m := range e.Unacknowledged {
			kind := KindText
			if m.Binary {
				kind = KindBinary
			}
			l.items = append(l.items, &Message{kind: kind, data: m.Data})
		}
		e2 := info(e.Cause)
		e2.unacked = l
		c.d.push(item{err: e2})
		return
	case client.ClosedEvent:
		c.sawClosed.Store(true)
		s = &StateChange{state: StateClosed, err: info(e.Err)}
		if s.err != nil {
			s.reason = s.err.msg
		}
	default:
		return
	}
	c.state.Store(int64(s.state))
	c.d.push(item{state: s})
}

// report hands a panic recovered outside a callback to the Handler.
func (c *Client) report(err error) { c.d.push(item{err: info(err)}) }

func (c *Client) current() (*client.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return nil, errClosedCall
	case c.cl == nil:
		return nil, errNotConnected
	}
	return c.cl, nil
}

// Send queues a binary message for the server and returns at once (it
// never waits). It is delivered exactly once and in order, across
// reconnects and transport changes, while the session lives; messages sent
// while connecting (after Connect or Start), disconnected or paused wait in
// the queue (if the first connect fails, those sent while connecting are
// dropped, and StateClosed says why). Errors: the queue is full
// (Config.SetMaxQueuedBytes), the message is too large, Connect or Start
// was not called, the client is closed.
func (c *Client) Send(data []byte) (err error) {
	defer guard(&err)
	return c.send(client.Binary(append([]byte(nil), data...)))
}

// SendText queues a text message; see Send.
func (c *Client) SendText(text string) (err error) {
	defer guard(&err)
	return c.send(client.Text(text))
}

func (c *Client) send(m client.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock() // held so that messages held while connecting go first
	switch {
	case c.closed:
		return errClosedCall
	case c.cl != nil:
		return c.sendNow(c.cl, m)
	case !c.started:
		return errNotConnected
	case c.dialed:
		return errDialFailed
	}
	// Connecting: hold it, with the client's checks and bounds.
	maxMsg, maxQueued := c.o.MaxMessageBytes, c.o.MaxQueuedBytes
	if maxMsg <= 0 {
		maxMsg = client.DefaultMaxMessageBytes
	}
	if maxQueued <= 0 {
		maxQueued = client.DefaultMaxQueuedBytes
	}
	switch {
	case !m.Binary && !utf8.Valid(m.Data):
		return client.ErrInvalidText
	case len(m.Data) > maxMsg:
		return client.ErrTooLarge
	case len(c.pending) > 0 && c.pendingBytes+len(m.Data) > maxQueued:
		return fmt.Errorf("%w: the messages sent while connecting fill Config.SetMaxQueuedBytes (%d bytes); send again later", client.ErrQueueFull, maxQueued)
	}
	c.pending = append(c.pending, m)
	c.pendingBytes += len(m.Data)
	return nil
}

// sendNow hands m to the client without waiting.
func (c *Client) sendNow(cl *client.Client, m client.Message) error {
	now, cancel := context.WithCancel(context.Background())
	cancel() // never wait for room
	err := cl.Send(now, m)
	if errors.Is(err, client.ErrQueueFull) {
		return fmt.Errorf("%w: the messages sent and not yet acknowledged fill Config.SetMaxQueuedBytes (%d bytes); send again later", client.ErrQueueFull, c.o.MaxQueuedBytes)
	}
	return err
}

// Flush waits until the server acknowledged every message sent so far, at
// most timeoutMs milliseconds (0: 30 s). It BLOCKS: not on the UI thread.
func (c *Client) Flush(timeoutMs int64) (err error) {
	defer guard(&err)
	cl, err := c.current()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.life, msOr(timeoutMs, 30*time.Second))
	defer cancel()
	return cl.Flush(ctx)
}

// Pause drops the connection and keeps the session: call it when the app
// goes to the background. The server keeps the session for its ttl (120 s
// by default) with the messages it sends meanwhile; Resume gets them all,
// none twice. Nothing reconnects until Resume. The Handler gets StatePaused.
// It returns at once.
func (c *Client) Pause() (err error) {
	defer guard(&err)
	cl, err := c.current()
	if err != nil {
		return err
	}
	quiet := !cl.Paused() && cl.State() == client.StateReconnecting
	cl.Pause()
	if quiet {
		// No connection to drop, so no event from the client: say it here.
		c.state.Store(StatePaused)
		c.d.push(item{state: &StateChange{state: StatePaused, reason: "paused while reconnecting"}})
	}
	return nil
}

// Resume ends a Pause: the client reconnects now and resumes the session
// (StateConnected with Resumed true; if the server forgot the session, an
// OnError of ClassSessionLost first). It returns at once.
func (c *Client) Resume() (err error) {
	defer guard(&err)
	cl, err := c.current()
	if err != nil {
		return err
	}
	cl.Resume()
	return nil
}

// NetworkChanged tells the client the device's network changed (Android
// ConnectivityManager.NetworkCallback, iOS NWPathMonitor): the connection
// made over the old network is dropped and the client reconnects now with
// the backoff reset, resuming the session; a pending reconnect starts now.
// While paused it does nothing. It returns at once.
func (c *Client) NetworkChanged() (err error) {
	defer guard(&err)
	cl, err := c.current()
	if err != nil {
		return err
	}
	cl.NetworkChanged()
	return nil
}

// Close ends the client and its session, and returns at once: in the
// background it sends the close frame after the queued messages, waits for
// the server's answer (at most 5 s), and the Handler gets StateClosed as
// its last callback, after which the client lets go of the Handler. Close
// during Connect cancels the connect. Close while paused does not reach the
// server, which forgets the session after its ttl. Calling it again does
// nothing.
// WaitClosed waits for the end.
func (c *Client) Close() (err error) {
	defer guard(&err)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	cl, dialing := c.cl, c.started && !c.dialed
	c.mu.Unlock()
	switch {
	case cl != nil:
		go c.closeClient(cl)
	case dialing:
		c.end() // a Connect or Start under way: dial sees closed
	default: // never connected, or the connect failed
		c.d.release()
		c.end()
		close(c.closeDone)
	}
	return nil
}

func (c *Client) closeClient(cl *client.Client) {
	defer swallow(c.report)
	defer close(c.closeDone)
	defer c.end()
	ctx, cancel := context.WithTimeout(context.Background(), closeWait)
	defer cancel()
	_ = cl.Close(ctx)
}

// WaitClosed waits until Close finished and the Handler received its last
// callback, at most timeoutMs milliseconds (0: 30 s). It BLOCKS, and must
// not be called from a Handler callback (that callback would wait for
// itself).
func (c *Client) WaitClosed(timeoutMs int64) (err error) {
	defer guard(&err)
	t := time.NewTimer(msOr(timeoutMs, 30*time.Second))
	defer t.Stop()
	for _, ch := range []chan struct{}{c.closeDone, c.d.done} {
		select {
		case <-ch:
		case <-t.C:
			return fmt.Errorf("tether/mobile: WaitClosed: the client did not finish closing within %d ms (was Close called?)", timeoutMs)
		}
	}
	return nil
}

// State is the last state reported to the Handler (a State constant), or
// -1 before the first.
func (c *Client) State() (state int) {
	defer swallow(nil)
	state = -1
	return int(c.state.Load())
}

// Transport is the transport carrying the session ("websocket", "sse",
// "longpoll"), or "" when none.
func (c *Client) Transport() (tr string) {
	defer swallow(nil)
	cl, err := c.current()
	if err != nil {
		return ""
	}
	return cl.Transport()
}

// URL is the URL the client connects to.
func (c *Client) URL() (url string) {
	defer swallow(nil)
	return c.url
}

// ReleaseMemory runs the Go garbage collector and returns free memory to
// the system (Android onTrimMemory, iOS didReceiveMemoryWarning). It also
// lets go of Java and Swift objects that Go no longer uses, such as the
// Handlers of closed clients. It blocks for the collection.
func ReleaseMemory() {
	defer swallow(nil)
	debug.FreeOSMemory()
}

func msOr(ms int64, def time.Duration) time.Duration {
	if ms <= 0 {
		return def
	}
	return time.Duration(ms) * time.Millisecond
}
