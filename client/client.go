package client

import (
	"context"
	"errors"
	"io"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/tether-sdk/tether/internal/seq"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/internal/xfmt"
	"github.com/tether-sdk/tether/transport"
)

// State is the client's connection state.
type State int

const (
	StateConnecting   State = iota // first connect in progress
	StateConnected                 // a transport carries the session
	StateReconnecting              // the connection was lost; retrying
	StateClosed                    // closed for good
)

func (s State) String() string {
	return [...]string{"connecting", "connected", "reconnecting", "closed"}[s]
}

// Client is a connection to a Tether server (or, in Raw mode, to a plain
// WebSocket server) that survives network failures: it reconnects with
// jittered backoff, resumes the session, and falls back to SSE or
// long-polling when WebSocket is blocked, then goes back to WebSocket when it
// can. In session mode every message is delivered exactly once and in order,
// in both directions, for as long as the session lives.
//
// Concurrency: all methods are safe for concurrent use. Messages come out of
// Receive in order; messages passed to Send are delivered in the order Send
// returned. Events are delivered to Options.OnEvent in order, one at a
// time.
type Client struct {
	o          Options
	links      linkDialer
	closeLinks linkDialer // the unwrapped links, to release on close
	ev         *dispatcher

	// The supervisor's reconnect schedule (supervise.go; one runs at a
	// time).
	bo      *expBackoff
	attempt int

	ctx    context.Context // the client's life
	cancel context.CancelFunc
	wg     sync.WaitGroup
	poke   chan struct{} // Reconnect: retry now
	pause  pauseState    // Pause, Resume (pause.go)

	mu          sync.Mutex
	sig         seq.Signal // wakes Send, Receive, deliver and the writer on a change
	out         seq.Outbox // session mode: sent, not acked; raw mode: not yet written
	in          seq.Receiver
	inbox       []entry // messages, and the session's loss between them
	inboxBytes  int
	sid, key    string
	maxMsg      int
	cur         *conn
	state       State
	closing     bool       // Close called: send the close frame, then stop
	closeFrame  wire.Close // the close frame Close sends
	closed      error      // why the client ended (ErrClosed after Close)
	lastGood    string
	rtt         time.Duration // the path's round trip last measured by a connect (noteRTT)
	probeSoon   bool          // a fallback won a race over an unanswered WebSocket: probe at once
	proved      *provedStream // a raced stream proved itself before the winner was adopted (streamup.go)
	offered     []string      // the transports of the session's last welcome (nil: not known yet)
	disabled    []string      // transports the server answered transport_disabled for, this session
	losses      int           // sessions lost so far
	lastLoss    error         // the last *SessionLostError
	connectedAt time.Time
	srtt        time.Duration // smoothed round trip of acks and pongs (pathwatch.go)
}

// Dial connects to rawURL (wss://, https://, or ws:// and http:// for
// loopback hosts; see package transport for the rules), by the first
// transport that works, and returns once a transport carries the session.
// After that the client reconnects by itself until Close.
//
// If no transport works, the error is a *ConnectError listing each attempt
// (each is bounded by Options.ConnectTimeout, whatever ctx); if ctx ends
// first, the attempts still running fail with ctx's error
// (transport.Classify gives ClassCanceled). A permanent failure (TLS, pin
// mismatch, refused credentials, bad URL or settings, a server that does
// not speak Tether) is returned at once. When the server asks to wait
// (Retry-After: a 429 too_many_sessions, a 503), Dial waits and tries
// again, while ctx allows. With Options.RetryOnFailedConnect, Dial returns
// a client that keeps trying in the background instead.
//
// Events: Dial returns after OnEvent received the events of its connect
// (ConnectingEvent, then ConnectedEvent; on failure, ClosedEvent last), or
// after ctx ended.
func Dial(ctx context.Context, rawURL string, opts *Options) (*Client, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		o: o, ctx: cctx, cancel: cancel, poke: make(chan struct{}, 1),
		maxMsg: o.MaxMessageBytes, bo: newBackoff(o.InitialBackoff, o.MaxBackoff),
	}
	links, err := newLinkDialer(rawURL, &c.o)
	if err != nil {
		cancel()
		return nil, err
	}
	c.links = publicLinks{links}
	c.closeLinks = links
	c.ev = newDispatcher(o.OnEvent)
	c.ev.emit(ConnectingEvent{Attempt: 1})
	start := time.Now()
	cn, reason, err := c.firstConnect(ctx)
	if err != nil {
		if c.o.RetryOnFailedConnect && !permanent(err) && ctx.Err() == nil {
			c.mu.Lock()
			c.state = StateReconnecting
			c.mu.Unlock()
			c.wg.Add(1)
			go c.supervise(err)
			c.ev.wait(ctx)
			return c, nil
		}
		c.finish(err)
		c.ev.wait(ctx)
		return nil, err
	}
	c.adopt(cn, reason, time.Since(start), "")
	c.ev.wait(ctx)
	return c, nil
}

// firstConnect is Dial's connect: it waits out a Retry-After the server
// asked for and tries again, while ctx allows (and at most MaxAttempts
// times when set).
func (c *Client) firstConnect(ctx context.Context) (*conn, string, error) {
	bo := newBackoff(c.o.InitialBackoff, c.o.MaxBackoff)
	for attempt := 1; ; attempt++ {
		cn, reason, err := c.connect(ctx)
		if err == nil || permanent(err) || ctx.Err() != nil || c.o.RetryOnFailedConnect {
			return cn, reason, err
		}
		// Section 13's client actions apply to the first attach too: wait
		// as the server asks (429, 503), and treat a cut (the server was
		// reached and the connection broke) like a dropped connection:
		// back off and try again, at most MaxAttempts times (zero:
		// firstConnectCutAttempts). Nothing listening, or a silent
		// server, fails Dial at once.
		limit := c.o.MaxAttempts
		wait := retryAfterOf(err)
		if wait <= 0 && cut(err) {
			wait = max(fullJitter(bo.NextBackOff()), time.Millisecond)
			if limit == 0 {
				limit = firstConnectCutAttempts
			}
		}
		if wait <= 0 || limit > 0 && attempt >= limit {
			return nil, "", err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, "", err // waiting would outlast ctx
		}
		c.o.Logger.Info("the server asked to wait before trying again", "wait", wait, "cause", err)
		c.ev.emit(ReconnectingEvent{Attempt: attempt, Delay: wait, Cause: err})
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, "", xfmt.Errorf("tether: waiting %v to try again, as the server asked (%s): %w", wait, shorten(err.Error(), 120), ctx.Err())
		}
		c.ev.emit(ConnectingEvent{Attempt: attempt + 1})
	}
}

// firstConnectCutAttempts bounds Dial's attempts when every one is cut
// and Options.MaxAttempts is zero.
const firstConnectCutAttempts = 5

// cut reports a connection broken after the server was reached (a reset,
// or the answer ending early), on any attempt of a connect.
func cut(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED)
}

// Send queues m for the server and returns once it is queued. In session
// mode it is delivered exactly once and in order, across reconnects and
// transport switches, while the session lives (Flush waits for the server's
// acknowledgement). While disconnected, messages wait in the queue; when the
// queue is full (Options.MaxQueuedBytes), Send waits for room until ctx ends
// and then returns an error matching both ErrQueueFull and ctx's error.
// Other errors: ErrTooLarge, ErrInvalidText, ErrClosed.
func (c *Client) Send(ctx context.Context, m Message) error {
	if !m.Binary && !utf8.Valid(m.Data) {
		return ErrInvalidText
	}
	var w chan struct{}
	for {
		c.mu.Lock()
		c.sig.Done(w)
		if len(m.Data) > c.maxMsg {
			c.mu.Unlock()
			return ErrTooLarge
		}
		if c.closed != nil || c.closing {
			c.mu.Unlock()
			return c.closedErr()
		}
		if c.out.Len() == 0 || c.out.Bytes()+len(m.Data) <= c.o.MaxQueuedBytes {
			c.out.Push(m.Binary, m.Data)
			c.signalLocked()
			c.wakeWriterLocked()
			c.mu.Unlock()
			return nil
		}
		w = c.sig.Wait()
		c.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return errors.Join(ErrQueueFull, ctx.Err())
		}
	}
}

// Receive returns the next message from the server, in order. When the
// session was lost (the server no longer knew it), Receive returns a
// *SessionLostError (errors.Is(err, ErrSessionLost)) once, after the
// messages of the old session and before those of the new one; the client
// goes on. After the client closed, messages already received are still
// returned, then ErrClosed (errors.As gives a *CloseError when the server
// closed the session). It also returns ctx's error.
func (c *Client) Receive(ctx context.Context) (Message, error) {
	var w chan struct{}
	for {
		c.mu.Lock()
		c.sig.Done(w)
		if len(c.inbox) > 0 {
			e := c.inbox[0]
			c.inbox[0] = entry{}
			if len(c.inbox) == 1 {
				c.inbox = c.inbox[:0] // empty: the next message reuses the array
			} else {
				c.inbox = c.inbox[1:]
			}
			c.inboxBytes -= len(e.m.Data)
			c.signalLocked()
			c.mu.Unlock()
			return e.m, e.err
		}
		if c.closed != nil {
			err := c.closedErr()
			c.mu.Unlock()
			return Message{}, err
		}
		w = c.sig.Wait()
		c.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return Message{}, ctx.Err()
		}
	}
}

// Flush waits until the server has acknowledged every message sent so far
// (in Raw mode: until they are written), or ctx ends, or the client closes.
// If the session is lost meanwhile, the messages not yet acknowledged can no
// longer be, and Flush returns the *SessionLostError (ErrSessionLost).
func (c *Client) Flush(ctx context.Context) error {
	c.mu.Lock()
	losses := c.losses
	c.mu.Unlock()
	var w chan struct{}
	for {
		c.mu.Lock()
		c.sig.Done(w)
		if c.losses != losses {
			err := c.lastLoss
			c.mu.Unlock()
			return err
		}
		if c.out.Len() == 0 {
			c.mu.Unlock()
			return nil
		}
		if c.closed != nil {
			err := c.closedErr()
			c.mu.Unlock()
			return err
		}
		w = c.sig.Wait()
		c.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Reconnect tells the client the network is back (a mobile app's
// connectivity callback): a pending reconnect starts now, with the backoff
// reset. It does nothing while connected.
func (c *Client) Reconnect() {
	select {
	case c.poke <- struct{}{}:
	default:
	}
}

// State returns the connection state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Transport returns the transport carrying the session ("" when none).
func (c *Client) Transport() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		return ""
	}
	return c.cur.l.Transport()
}

// SessionID returns the session id ("" in Raw mode).
func (c *Client) SessionID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sid
}

// closeAnswerWait bounds Close's wait for the server's answer to the close
// frame (PROTOCOL.md section 12).
const closeAnswerWait = 5 * time.Second

// Close ends the session: it sends the close frame (after the messages
// queued before it, when connected) and waits for the server's answer (at
// most 5 s, or until ctx ends), then closes every connection and waits
// until OnEvent received the ClosedEvent. Receive then returns ErrClosed.
// Close returns nil, or ctx's error if ctx ended first (the client is
// closed all the same). It may be called more than once, and after the
// client ended by itself; it must not be called from OnEvent.
func (c *Client) Close(ctx context.Context) error {
	return c.close(ctx, wire.Close{Code: wire.CloseNormal, Reason: "client closed"})
}

// CloseWith is Close with the close frame's code and reason, which reach
// the server (and a browser page's close event): code is CloseNormal or an
// application code, 3000 to 4999, as a browser WebSocket's close accepts;
// reason is at most 123 bytes of UTF-8. Other values return a
// *transport.ConfigError and leave the client open.
func (c *Client) CloseWith(ctx context.Context, code CloseCode, reason string) error {
	if code != CloseNormal && (code < 3000 || code > 4999) {
		return &transport.ConfigError{Field: "CloseWith code", Value: strconv.Itoa(int(code)),
			Err: errors.New("use 1000 or an application code, 3000 to 4999")}
	}
	if len(reason) > 123 || !utf8.ValidString(reason) {
		return &transport.ConfigError{Field: "CloseWith reason", Err: errors.New("at most 123 bytes of UTF-8")}
	}
	return c.close(ctx, wire.Close{Code: int(code), Reason: reason})
}

// Buffered returns the payload bytes given to Send that the server has not
// acknowledged yet: queued, in flight, or sent and not yet acknowledged (a
// browser WebSocket's bufferedAmount, counted up to the server's ack).
func (c *Client) Buffered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Bytes()
}

func (c *Client) close(ctx context.Context, frame wire.Close) error {
	c.mu.Lock()
	already := c.closed != nil || c.closing
	if !already {
		c.closeFrame = frame
	}
	c.closing = true
	c.signalLocked()
	c.wakeWriterLocked()
	cur := c.cur
	c.mu.Unlock()
	var err error
	if !already && cur != nil {
		// The writer sends the close frame once the queue is out; the
		// server answers (a WebSocket close in Raw mode), or the link ends.
		t := time.NewTimer(closeAnswerWait)
		select {
		case <-cur.dead:
		case <-c.ctx.Done():
		case <-t.C:
		case <-ctx.Done():
			err = ctx.Err()
		}
		t.Stop()
	}
	c.finish(nil)
	c.wg.Wait()
	if werr := c.ev.wait(ctx); err == nil {
		err = werr
	}
	return err
}

// closedErr is the error for calls after the end.
func (c *Client) closedErr() error {
	if c.closed == nil || errors.Is(c.closed, ErrClosed) {
		if c.closed != nil {
			return c.closed
		}
		return ErrClosed
	}
	return errors.Join(ErrClosed, c.closed)
}

// finish ends the client with err (nil: closed by Close).
func (c *Client) finish(err error) {
	c.mu.Lock()
	if c.closed != nil {
		c.mu.Unlock()
		return
	}
	if err == nil {
		c.closed = ErrClosed
	} else {
		c.closed = err
	}
	c.state = StateClosed
	cur := c.cur
	var unacked []Message
	if !c.o.Raw {
		for _, m := range c.out.Unacked() {
			unacked = append(unacked, Message{Binary: m.Binary, Data: m.Data})
		}
	}
	c.signalLocked()
	c.mu.Unlock()
	c.cancel()
	if cur != nil {
		cur.l.Close()
	}
	if n, ok := c.closeLinks.(interface{ close() }); ok {
		n.close()
	}
	c.ev.emit(ClosedEvent{Err: err, Unacknowledged: unacked})
}

// signalLocked wakes whoever waits for a change of the session's state (a
// channel is only made when someone waited since the last change).
func (c *Client) signalLocked() { c.sig.Broadcast() }

// recv is the client's cumulative ack, for transports that carry it.
func (c *Client) recv() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.in.Recv()
}

// headers builds the headers of one connect.
func (c *Client) headers(ctx context.Context) (transport.Header, error) {
	h := c.o.Header.Clone()
	if h == nil {
		h = transport.Header{}
	}
	if origin := c.origin(); origin != "" && h.Get("Origin") == "" {
		h.Set("Origin", origin) // on every transport, so origin checks agree
	}
	if c.o.HeaderFunc != nil {
		extra, err := c.o.HeaderFunc(ctx)
		if err != nil {
			return nil, err
		}
		for k, v := range extra {
			h[k] = append(h[k], v...)
		}
	}
	return h, nil
}

// messageKind maps a Message to its frame kind.
func messageKind(binary bool) wire.Kind {
	if binary {
		return wire.KindBinary
	}
	return wire.KindText
}
