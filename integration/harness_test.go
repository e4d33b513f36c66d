//go:build integration

package integration

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/internal/testkit/testserver"
	"github.com/tether-sdk/tether/server"
	"github.com/tether-sdk/tether/transport"
)

// backend runs a server.Handler on a fixed loopback address, over TLS (the
// suite CA's backend certificate) or plain HTTP (behind nginx), and can be
// stopped and started again on the same address: a server restart.
type backend struct {
	t       *testing.T
	addr    string
	tls     bool
	wrap    func(http.Handler) http.Handler
	handler *server.Handler
	retired []*server.Handler // handlers replaced by start, shut down at the end

	mu    sync.Mutex
	srv   *http.Server
	conns map[net.Conn]bool // every connection, hijacked (WebSocket) ones too
}

// newBackend starts h on a free port. wrap, when not nil, wraps the handler
// (a network in front of it).
func newBackend(t *testing.T, useTLS bool, h *server.Handler, wrap func(http.Handler) http.Handler) *backend {
	t.Helper()
	b := &backend{t: t, tls: useTLS, handler: h, wrap: wrap}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b.addr = ln.Addr().String()
	b.serve(ln)
	t.Cleanup(func() {
		b.stop()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.mu.Lock()
		hs := append([]*server.Handler{b.handler}, b.retired...)
		b.mu.Unlock()
		for _, h := range hs {
			h.Shutdown(ctx)
		}
	})
	return b
}

func (b *backend) serve(ln net.Listener) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var h http.Handler = b.handler
	if b.wrap != nil {
		h = b.wrap(h)
	}
	srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0),
		ConnState: func(c net.Conn, st http.ConnState) {
			b.mu.Lock()
			defer b.mu.Unlock()
			if b.conns == nil {
				b.conns = map[net.Conn]bool{}
			}
			if st == http.StateClosed {
				delete(b.conns, c)
			} else {
				b.conns[c] = true
			}
		}}
	b.srv = srv
	if b.tls {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{suite.backend.TLSCertificate()}}
		go srv.ServeTLS(ln, "", "")
	} else {
		go srv.Serve(ln)
	}
}

// stop closes the listener and every connection: the server process is gone.
func (b *backend) stop() {
	b.mu.Lock()
	srv, conns := b.srv, b.conns
	b.srv, b.conns = nil, nil
	b.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
	for c := range conns {
		c.Close() // http.Server.Close leaves hijacked connections open
	}
}

// start listens again on the same address, with h when not nil (a new
// server process: the sessions are gone) or the same handler (a server
// that kept its sessions).
func (b *backend) start(h *server.Handler) {
	b.t.Helper()
	if h != nil {
		// The old handler is left alone (its sessions unreachable) until the
		// test ends, so that its serve functions finish what they received.
		b.mu.Lock()
		b.retired = append(b.retired, b.handler)
		b.handler = h
		b.mu.Unlock()
	}
	var ln net.Listener
	var err error
	for i := 0; i < 100; i++ {
		if ln, err = net.Listen("tcp", b.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond) // bounded retry on a port that lingers
	}
	if err != nil {
		b.t.Fatal(err)
	}
	b.serve(ln)
}

func (b *backend) url() string { return "wss://" + b.addr + "/live" }

// opts returns client options trusting the suite CA, no proxy, events to ev.
func opts(ev *events) *client.Options {
	return &client.Options{
		Dial:           &transport.Config{RootCAs: suite.caPool, Proxy: transport.NoProxy},
		OnEvent:        ev.add,
		InitialBackoff: 20 * time.Millisecond,
		MaxBackoff:     300 * time.Millisecond,
	}
}

// dial dials and returns the client and the time to connected.
func dial(t *testing.T, url string, o *client.Options) (*client.Client, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	c, err := client.Dial(ctx, url, explained(t, o))
	if err != nil {
		t.Fatalf("Dial %s: %v", url, err)
	}
	el := time.Since(start)
	t.Cleanup(func() { c.Close(context.Background()) })
	return c, el
}

// events records client events and lets a test wait for one.
type events struct {
	mu   sync.Mutex
	all  []client.Event
	wake chan struct{}
}

func newEvents() *events { return &events{wake: make(chan struct{})} }

func (e *events) add(ev client.Event) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	close(e.wake)
	e.wake = make(chan struct{})
	e.mu.Unlock()
}

// waitFor waits (up to 30 s) until an event matching pred was recorded at
// index from or later.
func (e *events) waitFor(t *testing.T, from int, what string, pred func(client.Event) bool) client.Event {
	t.Helper()
	ev, ok := e.within(from, 30*time.Second, pred)
	if !ok {
		t.Fatalf("no %s event; got %s", what, e.String())
	}
	return ev
}

// within waits up to d for an event matching pred at index from or later.
func (e *events) within(from int, d time.Duration, pred func(client.Event) bool) (client.Event, bool) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		e.mu.Lock()
		for _, ev := range e.all[min(from, len(e.all)):] {
			if pred(ev) {
				e.mu.Unlock()
				return ev, true
			}
		}
		w := e.wake
		e.mu.Unlock()
		select {
		case <-w:
		case <-deadline.C:
			return nil, false
		}
	}
}

func (e *events) len() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.all)
}

func (e *events) snapshot() []client.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]client.Event(nil), e.all...)
}

// count counts the recorded events matching pred.
func (e *events) count(pred func(client.Event) bool) int {
	n := 0
	for _, ev := range e.snapshot() {
		if pred(ev) {
			n++
		}
	}
	return n
}

func (e *events) String() string {
	var b strings.Builder
	for _, ev := range e.snapshot() {
		fmt.Fprintf(&b, "\n  %T%+v", ev, ev)
	}
	return b.String()
}

func isConnected(ev client.Event) bool    { _, ok := ev.(client.ConnectedEvent); return ok }
func isDisconnected(ev client.Event) bool { _, ok := ev.(client.DisconnectedEvent); return ok }
func isSessionLost(ev client.Event) bool  { _, ok := ev.(client.SessionLostEvent); return ok }
func isReconnecting(ev client.Event) bool { _, ok := ev.(client.ReconnectingEvent); return ok }

func connectedOn(tr string) func(client.Event) bool {
	return func(ev client.Event) bool {
		c, ok := ev.(client.ConnectedEvent)
		return ok && c.Transport == tr
	}
}

// logRecorder is a slog.Handler that keeps the client's log messages, so a
// test can wait for what the client noticed (a cut poll).
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
	wake chan struct{}
}

func newLogRecorder() *logRecorder { return &logRecorder{wake: make(chan struct{})} }

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	l.msgs = append(l.msgs, b.String())
	close(l.wake)
	l.wake = make(chan struct{})
	l.mu.Unlock()
	return nil
}

// waitFor waits up to d for a message containing s, from index from on.
func (l *logRecorder) waitFor(from int, s string, d time.Duration) (string, bool) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		for _, m := range l.msgs[min(from, len(l.msgs)):] {
			if strings.Contains(m, s) {
				l.mu.Unlock()
				return m, true
			}
		}
		w := l.wake
		l.mu.Unlock()
		select {
		case <-w:
		case <-deadline.C:
			return "", false
		}
	}
}

// logger returns a *slog.Logger writing to l.
func (l *logRecorder) logger() *slog.Logger { return slog.New(l) }

func (l *logRecorder) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.msgs)
}

// echo sends every message back (the test kit's echo handler).
var echo = testserver.Echo

// roundTrip sends n messages with prefix and checks that they come back
// exactly once and in order.
func roundTrip(t *testing.T, c *client.Client, prefix string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			if err := c.Send(ctx, client.Text(fmt.Sprintf("%s%05d", prefix, i))); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := 0; i < n; i++ {
		m, err := c.Receive(ctx)
		if err != nil {
			t.Fatalf("receive %d of %d (%s): %v", i, n, prefix, err)
		}
		if want := fmt.Sprintf("%s%05d", prefix, i); string(m.Data) != want {
			t.Fatalf("message %d: got %q, want %q", i, m.Data, want)
		}
	}
	if err := <-errc; err != nil {
		t.Fatalf("send: %v", err)
	}
}

// seqCheck counts a numbered stream ("<prefix><index>") as it arrives:
// every index exactly once and in order, or else it counts what went wrong.
type seqCheck struct {
	prefix string
	n      int

	mu        sync.Mutex
	seen      []bool
	distinct  int
	dups      int
	reordered int
	foreign   []string
	ended     bool
	done      chan struct{} // closed at the end marker
}

const endMarker = "END"

func newSeqCheck(prefix string, n int) *seqCheck {
	return &seqCheck{prefix: prefix, n: n, seen: make([]bool, n), done: make(chan struct{})}
}

// add takes one message; it reports whether it was the end marker.
func (s *seqCheck) add(msg string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg == s.prefix+endMarker {
		if !s.ended {
			s.ended = true
			close(s.done)
		} else {
			s.dups++
		}
		return true
	}
	var i int
	if _, err := fmt.Sscanf(strings.TrimPrefix(msg, s.prefix), "%d", &i); err != nil || !strings.HasPrefix(msg, s.prefix) || i < 0 || i >= s.n {
		s.foreign = append(s.foreign, msg)
		return false
	}
	switch {
	case s.seen[i]:
		s.dups++
	default:
		if i != s.distinct {
			s.reordered++
		}
		s.seen[i] = true
		s.distinct++
	}
	if s.ended {
		s.reordered++ // after the end marker
	}
	return false
}

// setN sets the number of messages expected (when known only at the end).
func (s *seqCheck) setN(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n = n
}

// binTail ends every binary message of a mixed stream: bytes that are not
// UTF-8, so that a binary message can never pass for text.
var binTail = []byte{0xff, 0x00}

// mixed maps a numbered message to the stream of mixed types: odd indexes
// are binary (with binTail), the rest (and the end marker) text.
func mixed(m string) (binary bool, data []byte) {
	if d := m[len(m)-1]; d >= '0' && d <= '9' && (d-'0')%2 == 1 {
		return true, append([]byte(m), binTail...)
	}
	return false, []byte(m)
}

// addMixed takes one message of a mixed stream, checking its type.
func (s *seqCheck) addMixed(binary bool, data []byte) bool {
	msg := string(data)
	if binary {
		msg = strings.TrimSuffix(msg, string(binTail))
	}
	if want, _ := mixed(msg); want != binary || binary && len(msg) == len(data) {
		s.mu.Lock()
		s.foreign = append(s.foreign, fmt.Sprintf("wrong type (binary=%v): %q", binary, data))
		s.mu.Unlock()
	}
	return s.add(msg)
}

// counts returns lost, duplicated and reordered messages so far.
func (s *seqCheck) counts() (received, lost, dups, reordered int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.distinct, s.n - s.distinct, s.dups, s.reordered
}

func (s *seqCheck) String() string {
	r, l, d, o := s.counts()
	return fmt.Sprintf("%s: %d received, %d lost, %d duplicated, %d reordered", s.prefix, r, l, d, o)
}

// assertClean fails t unless every message arrived exactly once, in order.
func (s *seqCheck) assertClean(t *testing.T) {
	t.Helper()
	_, lost, dups, reordered := s.counts()
	s.mu.Lock()
	foreign := s.foreign
	s.mu.Unlock()
	if lost != 0 || dups != 0 || reordered != 0 || len(foreign) > 0 {
		t.Errorf("%s (unexpected messages: %q)", s, foreign)
	}
}

// pacedSend sends prefix+index for i < n, then prefix+END, in bursts of
// burst every tick (so that the flow spans many connection cuts), with
// send. It returns the first error.
func pacedSend(ctx context.Context, n, burst int, tick time.Duration, prefix string, send func(context.Context, string) error) error {
	tk := time.NewTicker(tick)
	defer tk.Stop()
	for i := 0; i < n; i++ {
		if i%burst == 0 && i > 0 {
			select {
			case <-tk.C:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := send(ctx, fmt.Sprintf("%s%05d", prefix, i)); err != nil {
			return err
		}
	}
	return send(ctx, prefix+endMarker)
}

// refuser answers 400 to what a test says to refuse, like a proxy that does
// not let WebSocket (or SSE) through.
type refuser struct {
	ws, sse atomic.Bool
}

func (r *refuser) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.ws.Load() && req.Header.Get("Upgrade") != "" {
			http.Error(w, "upgrade not allowed here", http.StatusBadRequest)
			return
		}
		if r.sse.Load() && req.URL.Query().Get("tether") == "sse" {
			http.Error(w, "event streams not allowed here", http.StatusBadRequest)
			return
		}
		h.ServeHTTP(w, req)
	})
}

// errorsAs is errors.As returning the target.
func errorsAs[T error](err error) (T, bool) {
	var target T
	ok := errors.As(err, &target)
	return target, ok
}
