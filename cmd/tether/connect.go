package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tether-sdk/tether/client"
)

const connectSynopsis = `
Usage: tether connect [flags] URL

Connects to a Tether server (or, with --raw, any plain WebSocket server) at URL
(wss:// or https://; ws:// and http:// only for loopback hosts), by the first
transport that works, and stays connected: it reconnects with backoff, resumes
the session and moves between transports without losing, repeating or
reordering a message. A server that shuts down or restarts (close 1001) is
reconnected to; if the new server process no longer knows the session, a
warning on stderr says how many sent messages are not guaranteed, and a new
session goes on. A first connect answered 429 with Retry-After waits and
tries again.

  stdin   each line is sent as a text message (without its line ending)
  stdout  each received message on its own line: a text message as it is, a
          binary message as "base64:" followed by its standard base64 (RFC 4648,
          with padding) on one line
  stderr  diagnostics only; -v adds one logfmt line per connection event, e.g.
          event=connected transport=sse reason="websocket failed (refused 400 Bad Request); sse works"

At stdin EOF it waits until the server has acknowledged every message sent (in
session mode), and until --count messages have been received, then closes the
session cleanly and exits. With --count it also exits as soon as that many
messages have been received.

Exit codes: 0 done; 1 failure, with one line on stderr starting "tether: " that
names the cause (an unreachable server, TLS, a pin mismatch, a proxy's 407, the
server closing the session, --timeout); 2 bad usage (an unknown flag, a bad
value, a bad URL, a file that cannot be read).

Examples:
  echo hi | tether connect --cacert ca.pem --count 1 wss://127.0.0.1:8443/
  tether connect -v --transports sse,longpoll --proxy http://proxy:3128 wss://feed.example.com/live
  tether connect --raw --header 'Authorization: Bearer T' wss://stream.example.com/ws
`

type connectFlags struct {
	dial       dialFlags
	transports transportsFlag
	headers    listFlag
	raw        bool
	count      int
	timeout    time.Duration
	verbose    bool
}

func runConnect(ctx context.Context, e *env, args []string) int {
	var f connectFlags
	fs := newFlagSet("connect", connectSynopsis)
	f.dial.register(fs, true)
	fs.Var(&f.transports, "transports", "`LIST` of transports to try, in order: a subset of websocket,sse,longpoll (default all three, in that order)")
	fs.Var(&f.headers, "header", "`'Name: value'` header sent with every request to the server, never to a proxy (repeatable)")
	fs.BoolVar(&f.raw, "raw", false, "talk to a plain WebSocket server (no Tether session protocol: no fallback, no resume)")
	fs.IntVar(&f.count, "count", 0, "exit 0 once `N` messages have been received (0: no limit)")
	fs.DurationVar(&f.timeout, "timeout", 0, "exit 1 if not done within this `DURATION` (e.g. 10s; 0: no limit)")
	fs.BoolVar(&f.verbose, "v", false, "print one logfmt line per connection event on stderr")
	pos, code, done := fs.parse(e, args)
	if done {
		return code
	}
	if len(pos) != 1 {
		if len(pos) == 0 {
			return fail(e.stderr, usagef("connect: give the server's URL (see tether connect -h)"))
		}
		return fail(e.stderr, usagef("connect: one URL only, got %d arguments: %s", len(pos), strings.Join(pos, " ")))
	}
	opts, err := f.options()
	if err != nil {
		return fail(e.stderr, err)
	}
	return connect(ctx, e, pos[0], &f, opts)
}

// options builds the client options from the flags.
func (f *connectFlags) options() (*client.Options, error) {
	if f.count < 0 {
		return nil, usagef("--count %d: give a number of messages, 0 or more", f.count)
	}
	if f.timeout < 0 {
		return nil, usagef("--timeout %v: give a positive duration", f.timeout)
	}
	cfg, err := f.dial.config()
	if err != nil {
		return nil, err
	}
	o := &client.Options{Dial: cfg, Raw: f.raw}
	if len(f.transports) > 0 {
		if f.raw && (len(f.transports) != 1 || f.transports[0] != "websocket") {
			return nil, usagef("--raw talks to a plain WebSocket server: --transports can only be websocket")
		}
		o.Transports = f.transports
	}
	h := http.Header{}
	for _, line := range f.headers {
		if err := parseHeader(h, line); err != nil {
			return nil, err
		}
	}
	if f.dial.origin != "" && h.Get("Origin") == "" {
		// transport sends Config.Origin on WebSocket upgrades only; the
		// fallbacks' requests need it in the headers.
		h.Set("Origin", f.dial.origin)
	}
	if len(h) > 0 {
		o.Header = h
	}
	return o, nil
}

var (
	errTimeout     = errors.New("timed out")
	errInterrupted = errors.New("interrupted")
)

// session is one connect run's state.
type session struct {
	e     *env
	c     *client.Client
	count int

	mu       sync.Mutex
	received int
	countHit chan struct{} // closed when count messages were received
	recvDone chan struct{} // closed when the receiver ended
	recvErr  error         // why it ended
}

func connect(parent context.Context, e *env, url string, f *connectFlags, opts *client.Options) int {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	if f.timeout > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeoutCause(ctx, f.timeout, errTimeout)
		defer c2()
	}
	log := newEventLog(e.stderr, f.verbose)
	opts.OnEvent = log.handle

	// why names what stopped a run early: the timeout or a signal.
	why := func(what string) error {
		if errors.Is(context.Cause(ctx), errTimeout) {
			return fmt.Errorf("timed out after %v %s", f.timeout, what)
		}
		return fmt.Errorf("interrupted %s", what)
	}

	c, err := client.Dial(ctx, url, opts)
	if err != nil {
		if ctx.Err() != nil {
			return fail(e.stderr, why("while connecting to "+url))
		}
		return fail(e.stderr, err)
	}
	s := &session{e: e, c: c, count: f.count, countHit: make(chan struct{}), recvDone: make(chan struct{})}
	go s.receive()

	sent := make(chan error, 1) // nil at stdin EOF once every line is queued
	go func() { sent <- s.sendLines(ctx, e.stdin) }()

	finish := func(code int, err error) int {
		closeClient(c) // after its events, ClosedEvent included
		<-s.recvDone
		if err != nil {
			return fail(e.stderr, err)
		}
		return code
	}
	// ended is the client ending by itself (a permanent failure or the
	// server closing the session).
	ended := func() int {
		select {
		case <-s.countHit: // the last message came with the end
			return finish(exitOK, nil)
		default:
		}
		err := withoutClosed(s.recvErr)
		var ce *client.CloseError
		if errors.As(err, &ce) && ce.Code == 1000 && s.count == 0 {
			return finish(exitOK, nil)
		}
		if s.count > 0 {
			err = fmt.Errorf("%s (after %d of %d messages)", describe(err), s.received, s.count)
		}
		return finish(exitFailure, err)
	}

	// Until stdin ends: lines go out, messages come in.
	select {
	case err := <-sent:
		if err != nil {
			if ctx.Err() != nil {
				return finish(exitFailure, why(s.progress()))
			}
			if errors.Is(err, client.ErrClosed) {
				<-s.recvDone
				return ended()
			}
			return finish(exitFailure, err)
		}
	case <-s.countHit:
		return finish(exitOK, nil)
	case <-s.recvDone:
		return ended()
	case <-ctx.Done():
		return finish(exitFailure, why(s.progress()))
	}

	// stdin ended: wait for the acknowledgements, then for --count.
	if err := c.Flush(ctx); err != nil {
		if errors.Is(err, client.ErrSessionLost) {
			// Sent messages can no longer be acknowledged: say so.
			return finish(exitFailure, err)
		}
		if ctx.Err() != nil {
			return finish(exitFailure, why("waiting for the server to acknowledge the messages sent "+s.progress()))
		}
		<-s.recvDone
		return ended()
	}
	if s.count > 0 {
		select {
		case <-s.countHit:
		case <-s.recvDone:
			return ended()
		case <-ctx.Done():
			return finish(exitFailure, why(s.progress()))
		}
	}
	return finish(exitOK, nil)
}

// progress says how far --count got.
func (s *session) progress() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.count > 0 {
		return fmt.Sprintf("(received %d of %d messages)", s.received, s.count)
	}
	if s.received == 1 {
		return "(received 1 message)"
	}
	return fmt.Sprintf("(received %d messages)", s.received)
}

// receive prints messages until the client ends; with --count, the first
// count only.
func (s *session) receive() {
	defer close(s.recvDone)
	var line []byte
	for {
		m, err := s.c.Receive(context.Background())
		if errors.Is(err, client.ErrSessionLost) {
			continue // the event log warned; a new session goes on
		}
		if err != nil {
			s.recvErr = err
			return
		}
		s.mu.Lock()
		s.received++
		n := s.received
		s.mu.Unlock()
		if s.count > 0 && n > s.count {
			continue
		}
		line = appendMessage(line[:0], m)
		s.e.stdout.Write(line)
		if n == s.count {
			close(s.countHit)
		}
	}
}

// appendMessage formats a received message as its stdout line: a text
// message as it is, a binary one as "base64:" and its standard base64.
func appendMessage(dst []byte, m client.Message) []byte {
	if m.Binary {
		dst = append(dst, "base64:"...)
		dst = base64.StdEncoding.AppendEncode(dst, m.Data)
	} else {
		dst = append(dst, m.Data...)
	}
	return append(dst, '\n')
}

// sendLines sends each line of r as a text message; nil at EOF.
func (s *session) sendLines(ctx context.Context, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		line, err := br.ReadString('\n')
		if len(line) > 0 {
			text := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
			if serr := s.c.Send(ctx, client.Text(text)); serr != nil {
				switch {
				case errors.Is(serr, client.ErrTooLarge):
					return fmt.Errorf("stdin line %d (%d bytes) is larger than the largest message allowed", n, len(text))
				case errors.Is(serr, client.ErrInvalidText):
					return fmt.Errorf("stdin line %d is not valid UTF-8: lines are sent as text messages", n)
				}
				return serr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading stdin: %w", err)
		}
	}
}
