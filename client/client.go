package client

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tether-sdk/tether/internal/seq"
	"github.com/tether-sdk/tether/internal/wire"
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
// returned. Events are delivered to Options.OnEvent in order by one
// goroutine.
type Client struct {
	o     Options
	links LinkDialer
	ev    *dispatcher

	ctx    context.Context // the client's life
	cancel context.CancelFunc
	wg     sync.WaitGroup
	poke   chan struct{} // Reconnect: retry now

	mu          sync.Mutex
	wake        chan struct{} // closed and replaced on every change
	out         seq.Outbox    // session mode: sent, not acked; raw mode: not yet written
	in          seq.Receiver
	inbox       []Message
	inboxBytes  int
	sid, key    string
	maxMsg      int
	cur         *conn
	state       State
	closing     bool  // Close called: send the close frame, then stop
	closed      error // why the client ended (ErrClosed after Close)
	lastGood    string
	connectedAt time.Time
}

// Dial connects to rawURL (wss://, https://, or ws:// and http:// for
// loopback hosts; see package transport for the rules), by the first
// transport that works, and returns once a transport carries the session.
// After that the client reconnects by itself until Close. If no transport
// works, the error is a *ConnectError listing each attempt; a permanent
// failure (TLS, pin mismatch, refused credentials, bad URL or settings, a
// server that does not speak Tether) is returned at once.
func Dial(ctx context.Context, rawURL string, opts *Options) (*Client, error) {
	o := opts.withDefaults()
	cctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		o: o, ctx: cctx, cancel: cancel, wake: make(chan struct{}), poke: make(chan struct{}, 1),
		maxMsg: o.MaxMessageBytes,
	}
	links, err := newLinkDialer(rawURL, &c.o, c)
	if err != nil {
		cancel()
		return nil, err
	}
	c.links = links
	c.ev = newDispatcher(o.OnEvent)
	c.ev.emit(ConnectingEvent{Attempt: 1})
	start := time.Now()
	cn, reason, err := c.connect(ctx)
	if err != nil {
		c.finish(err)
		return nil, err
	}
	c.adopt(cn, reason, time.Since(start), "")
	c.wg.Add(1)
	go c.supervise()
	return c, nil
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
	for {
		c.mu.Lock()
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
			c.mu.Unlock()
			return nil
		}
		w := c.wake
		c.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return errors.Join(ErrQueueFull, ctx.Err())
		}
	}
}

// Receive returns the next message from the server, in order. After the
// client closed, messages already received are still returned, then
// ErrClosed (errors.As gives a *CloseError when the server closed the
// session). It also returns ctx's error.
func (c *Client) Receive(ctx context.Context) (Message, error) {
	for {
		c.mu.Lock()
		if len(c.inbox) > 0 {
			m := c.inbox[0]
			c.inbox[0] = Message{}
			c.inbox = c.inbox[1:]
			c.inboxBytes -= len(m.Data)
			c.signalLocked()
			c.mu.Unlock()
			return m, nil
		}
		if c.closed != nil {
			err := c.closedErr()
			c.mu.Unlock()
			return Message{}, err
		}
		w := c.wake
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
func (c *Client) Flush(ctx context.Context) error {
	for {
		c.mu.Lock()
		if c.out.Len() == 0 {
			c.mu.Unlock()
			return nil
		}
		if c.closed != nil {
			err := c.closedErr()
			c.mu.Unlock()
			return err
		}
		w := c.wake
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

// Close ends the session: it sends the close frame (after the messages
// queued before it, when connected) and waits briefly for the server's
// answer, then closes every connection. Receive then returns ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed != nil || c.closing {
		c.mu.Unlock()
		return nil
	}
	c.closing = true
	c.signalLocked()
	cur := c.cur
	c.mu.Unlock()
	if cur != nil {
		// The writer sends the close frame once the queue is out; the
		// server answers (a WebSocket close in Raw mode), or the link ends.
		t := time.NewTimer(2 * time.Second)
		select {
		case <-cur.dead:
		case <-c.ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	c.finish(nil)
	c.wg.Wait()
	return nil
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
	c.signalLocked()
	c.mu.Unlock()
	c.cancel()
	if cur != nil {
		cur.l.Close()
	}
	if n, ok := c.links.(interface{ close() }); ok {
		n.close()
	}
	c.ev.emit(ClosedEvent{Err: err})
}

func (c *Client) signalLocked() {
	close(c.wake)
	c.wake = make(chan struct{})
}

// recv is the client's cumulative ack, for transports that carry it.
func (c *Client) recv() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.in.Recv()
}

// headers builds the headers of one connect.
func (c *Client) headers(ctx context.Context) (http.Header, error) {
	h := c.o.Header.Clone()
	if h == nil {
		h = http.Header{}
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
