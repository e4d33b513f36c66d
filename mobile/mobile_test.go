package mobile

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/testkit/testserver"
	"github.com/tether-sdk/tether/server"
)

// recorder is a Handler that records every callback and checks that no two
// run at once and none is re-entered.
type recorder struct {
	t      *testing.T
	inside atomic.Int32
	bad    atomic.Int32

	mu     sync.Mutex
	msgs   []string
	states []*StateChange
	errs   []*ErrorInfo
	wake   chan struct{}

	onMessage func(m *Message) // optional extra behaviour
}

func newRecorder(t *testing.T) *recorder { return &recorder{t: t, wake: make(chan struct{})} }

func (r *recorder) enter() {
	if r.inside.Add(1) != 1 {
		r.bad.Add(1)
	}
}

func (r *recorder) leave() { r.inside.Add(-1) }

func (r *recorder) changed() {
	close(r.wake)
	r.wake = make(chan struct{})
}

func (r *recorder) OnMessage(m *Message) {
	r.enter()
	defer r.leave()
	r.mu.Lock()
	s := m.Text()
	if m.IsBinary() {
		s = fmt.Sprintf("bin:%x", m.Data())
	}
	r.msgs = append(r.msgs, s)
	r.changed()
	r.mu.Unlock()
	if r.onMessage != nil {
		r.onMessage(m)
	}
}

func (r *recorder) OnStateChange(s *StateChange) {
	r.enter()
	defer r.leave()
	r.mu.Lock()
	r.states = append(r.states, s)
	r.changed()
	r.mu.Unlock()
}

func (r *recorder) OnError(e *ErrorInfo) {
	r.enter()
	defer r.leave()
	r.mu.Lock()
	r.errs = append(r.errs, e)
	r.changed()
	r.mu.Unlock()
}

// wait waits until cond holds (checked under the lock).
func (r *recorder) wait(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		ok, w := cond(), r.wake
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-w:
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			for _, s := range r.states {
				r.t.Logf("state %s %s resumed=%v cause=%+v", s.StateName(), s.Reason(), s.Resumed(), s.Cause())
			}
			r.t.Fatalf("waited for %s: %d messages, states %v, errors %v", what, len(r.msgs), stateNames(r.states), r.errs)
		}
	}
}

func (r *recorder) waitState(from int, state int, pred func(*StateChange) bool) *StateChange {
	r.t.Helper()
	var got *StateChange
	r.wait(stateName(state), func() bool {
		for _, s := range r.states[min(from, len(r.states)):] {
			if s.state == state && (pred == nil || pred(s)) {
				got = s
				return true
			}
		}
		return false
	})
	return got
}

func (r *recorder) nStates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.states)
}

func stateNames(ss []*StateChange) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.StateName())
	}
	return out
}

// newServer starts a Tether server on loopback (plain HTTP: ws:// is
// allowed for loopback hosts).
func newServer(t *testing.T, serve func(*server.Session), o *server.Options) string {
	t.Helper()
	h := server.NewHandler(serve, o)
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Shutdown(ctx)
		ts.Close()
	})
	return "ws" + strings.TrimPrefix(ts.URL, "http") + "/"
}

// echo sends every message back (the test kit's echo handler).
var echo = testserver.Echo

func testConfig(t *testing.T) *Config {
	t.Helper()
	cfg := NewConfig()
	if err := cfg.SetInitialBackoffMs(20); err != nil {
		t.Fatal(err)
	}
	if err := cfg.SetMaxBackoffMs(200); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func connect(t *testing.T, url string, cfg *Config, r *recorder) *Client {
	t.Helper()
	c, err := NewClient(url, cfg, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	r.waitState(0, StateConnected, nil)
	t.Cleanup(func() {
		c.Close()
		if err := c.WaitClosed(20000); err != nil {
			t.Error(err)
		}
		if n := r.bad.Load(); n != 0 {
			t.Errorf("%d callbacks overlapped another", n)
		}
	})
	return c
}

func TestEchoOverEachTransport(t *testing.T) {
	for _, tr := range []string{"websocket", "sse", "longpoll"} {
		t.Run(tr, func(t *testing.T) {
			url := newServer(t, echo, &server.Options{Transports: []string{tr}})
			r := newRecorder(t)
			cfg := testConfig(t)
			if err := cfg.SetTransports(tr); err != nil {
				t.Fatal(err)
			}
			c := connect(t, url, cfg, r)
			if c.Transport() != tr || c.State() != StateConnected {
				t.Fatalf("transport %q, state %d", c.Transport(), c.State())
			}
			if err := c.SendText("héllo"); err != nil {
				t.Fatal(err)
			}
			if err := c.Send([]byte{0, 1, 0xff}); err != nil {
				t.Fatal(err)
			}
			r.wait("two echoes", func() bool { return len(r.msgs) == 2 })
			if r.msgs[0] != "héllo" || r.msgs[1] != "bin:0001ff" {
				t.Fatalf("got %q", r.msgs)
			}
			if err := c.Flush(10000); err != nil {
				t.Fatal(err)
			}
			c.Close()
			if err := c.WaitClosed(20000); err != nil {
				t.Fatal(err)
			}
			last := r.states[len(r.states)-1]
			if last.State() != StateClosed || last.Cause() != nil {
				t.Fatalf("last state %s %v", last.StateName(), last.Cause())
			}
			if err := c.SendText("after"); err == nil {
				t.Fatal("Send after Close succeeded")
			}
		})
	}
}

// Many goroutines send at once; every message is echoed, each goroutine's in
// its order, and callbacks never overlap.
func TestSendFromManyGoroutines(t *testing.T) {
	url := newServer(t, echo, nil)
	r := newRecorder(t)
	c := connect(t, url, testConfig(t), r)
	const senders, each = 8, 150
	var wg sync.WaitGroup
	for g := range senders {
		wg.Go(func() {
			for i := range each {
				for {
					err := c.SendText(fmt.Sprintf("%d-%d", g, i))
					if err == nil {
						break
					}
					if !strings.Contains(err.Error(), "queue full") {
						t.Error(err)
						return
					}
					c.Flush(0)
				}
			}
		})
	}
	wg.Wait()
	r.wait("every echo", func() bool { return len(r.msgs) == senders*each })
	next := make([]int, senders)
	for _, m := range r.msgs {
		var g, i int
		fmt.Sscanf(m, "%d-%d", &g, &i)
		if i != next[g] {
			t.Fatalf("goroutine %d: got %d, want %d", g, i, next[g])
		}
		next[g]++
	}
}

// A panic in a callback becomes an OnError of ClassPanic; delivery goes on.
// A callback may call the client (Send) without deadlock or re-entry.
func TestCallbackPanicsAreRecovered(t *testing.T) {
	url := newServer(t, echo, nil)
	r := newRecorder(t)
	r.onMessage = func(m *Message) {
		switch m.Text() {
		case "panic":
			panic("boom")
		case "ping":
			_ = clientOf(r).SendText("pong")
		}
	}
	c := connect(t, url, testConfig(t), r)
	setClient(r, c)
	for _, s := range []string{"panic", "after", "ping"} {
		if err := c.SendText(s); err != nil {
			t.Fatal(err)
		}
	}
	r.wait("four messages and the panic", func() bool { return len(r.msgs) == 4 && len(r.errs) == 1 })
	if got := strings.Join(r.msgs, ","); got != "panic,after,ping,pong" {
		t.Fatalf("messages %s", got)
	}
	if e := r.errs[0]; e.ErrorClass() != ClassPanic || !strings.Contains(e.Message(), "boom") {
		t.Fatalf("error %s: %s", e.ErrorClass(), e.Message())
	}
}

var clients sync.Map

func setClient(r *recorder, c *Client) { clients.Store(r, c) }
func clientOf(r *recorder) *Client {
	c, _ := clients.Load(r)
	return c.(*Client)
}

// A panic inside an exported call comes back as its error.
func TestCallPanicsBecomeErrors(t *testing.T) {
	var c *Client // every method on a nil client panics inside
	calls := map[string]func() error{
		"Connect":        c.Connect,
		"Start":          c.Start,
		"Send":           func() error { return c.Send([]byte("x")) },
		"SendText":       func() error { return c.SendText("x") },
		"Flush":          func() error { return c.Flush(1) },
		"Pause":          c.Pause,
		"Resume":         c.Resume,
		"NetworkChanged": c.NetworkChanged,
		"Close":          c.Close,
		"WaitClosed":     func() error { return c.WaitClosed(1) },
	}
	for name, call := range calls {
		err := call()
		var pe *panicError
		if !errors.As(err, &pe) || info(err).ErrorClass() != ClassPanic {
			t.Errorf("%s: %v", name, err)
		}
	}
	var cfg *Config
	if err := cfg.SetTransports("sse"); err == nil {
		t.Error("SetTransports on nil Config: no error")
	}
	if c.Transport() != "" || c.State() != -1 || c.URL() != "" {
		t.Error("getters on a nil client")
	}
	cfg.SetRetryOnFailedConnect(true) // recovered, no effect
	cfg.SetEnableCompression(true)
	cfg.SetInsecureAllowPlaintext(true)
}

func TestBadSettingsAreErrors(t *testing.T) {
	cfg := NewConfig()
	for name, err := range map[string]error{
		"transport":   cfg.SetTransports("websocket,carrier-pigeon"),
		"twice":       cfg.SetTransports("sse,sse"),
		"pin":         cfg.AddPin("", "md5/abc"),
		"proxy":       cfg.SetProxyURL("socks5://127.0.0.1:1080"),
		"ca":          cfg.AddCAPEM([]byte("not a certificate")),
		"ms":          cfg.SetConnectTimeoutMs(-1),
		"header":      cfg.AddHeader("Bad Name", "x"),
		"max":         cfg.SetMaxQueuedBytes(-5),
		"headerValue": cfg.AddHeader("X-Token", "a\r\nb"),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := NewClient("ws://127.0.0.1:1/", nil, nil); err == nil {
		t.Error("NewClient without a Handler: no error")
	}
	if _, err := NewClient("ws://example.com/", nil, newRecorder(t)); err == nil || !strings.Contains(err.Error(), "ws://") {
		t.Errorf("plaintext to a public host: %v", err)
	}
	c, err := NewClient("ws://127.0.0.1:1/", nil, newRecorder(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendText("x"); !errors.Is(err, errNotConnected) {
		t.Errorf("Send before Connect: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitClosed(5000); err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(); !errors.Is(err, errClosedCall) {
		t.Errorf("Connect after Close: %v", err)
	}
}

// A failed Connect returns the error, reports StateClosed, and Connect
// cannot be called twice.
func TestConnectFailure(t *testing.T) {
	r := newRecorder(t)
	cfg := NewConfig()
	cfg.SetProxyURL("http://127.0.0.1:1") // nothing listens there
	cfg.SetConnectTimeoutMs(5000)
	c, err := NewClient("ws://127.0.0.1:2/", cfg, r)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Connect()
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("Connect through a dead proxy: %v", err)
	}
	s := r.waitState(0, StateClosed, nil)
	if s.Cause() == nil || s.Cause().ErrorClass() != ClassProxy {
		t.Fatalf("closed with %+v", s.Cause())
	}
	if err := c.Connect(); !errors.Is(err, errStarted) {
		t.Fatalf("second Connect: %v", err)
	}
	c.Close()
	if err := c.WaitClosed(5000); err != nil {
		t.Fatal(err)
	}
}

// Messages the server sends while paused all arrive after Resume, once.
func TestPauseResume(t *testing.T) {
	sessions := make(chan *server.Session, 1)
	url := newServer(t, func(s *server.Session) { sessions <- s; <-s.Context().Done() }, nil)
	r := newRecorder(t)
	c := connect(t, url, testConfig(t), r)
	s := <-sessions
	if err := c.Pause(); err != nil {
		t.Fatal(err)
	}
	r.waitState(0, StatePaused, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const n = 500
	for i := range n {
		if err := s.Send(ctx, server.Message{Data: fmt.Appendf(nil, "m%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.SendText("queued while paused"); err != nil {
		t.Fatalf("Send while paused: %v", err)
	}
	from := r.nStates()
	if err := c.Resume(); err != nil {
		t.Fatal(err)
	}
	st := r.waitState(from, StateConnected, nil)
	if !st.Resumed() {
		t.Fatal("Resume did not resume the session")
	}
	r.wait("every message", func() bool { return len(r.msgs) >= n })
	for i, m := range r.msgs {
		if m != fmt.Sprintf("m%d", i) {
			t.Fatalf("message %d: %q", i, m)
		}
	}
	if m, err := s.Receive(ctx); err != nil || string(m.Data) != "queued while paused" {
		t.Fatalf("server got %q %v", m.Data, err)
	}
}

func TestNetworkChanged(t *testing.T) {
	url := newServer(t, echo, nil)
	r := newRecorder(t)
	c := connect(t, url, testConfig(t), r)
	from := r.nStates()
	if err := c.NetworkChanged(); err != nil {
		t.Fatal(err)
	}
	d := r.waitState(from, StateDisconnected, nil)
	if d.Cause() == nil || d.Cause().ErrorClass() != ClassNetChanged {
		t.Fatalf("disconnected with %+v", d.Cause())
	}
	if !r.waitState(from, StateConnected, nil).Resumed() {
		t.Fatal("not resumed after a network change")
	}
	if err := c.SendText("still here"); err != nil {
		t.Fatal(err)
	}
	r.wait("echo", func() bool { return len(r.msgs) == 1 })
}

// Close during a Connect that hangs cancels it; Start reports by callbacks.
func TestCloseDuringConnectAndStart(t *testing.T) {
	url := newServer(t, echo, nil)
	r := newRecorder(t)
	c, err := NewClient(url, testConfig(t), r)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	r.waitState(0, StateConnected, nil)
	if err := c.Start(); !errors.Is(err, errStarted) {
		t.Fatalf("Start twice: %v", err)
	}
	c.Close()
	if err := c.WaitClosed(20000); err != nil {
		t.Fatal(err)
	}

	hang := make(chan struct{})
	ts := httptest.NewServer(httpHang(hang))
	defer ts.Close()
	defer close(hang) // first: ts.Close waits for the handlers
	r2 := newRecorder(t)
	c2, err := NewClient("ws"+strings.TrimPrefix(ts.URL, "http")+"/", testConfig(t), r2)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c2.Connect() }()
	r2.waitState(0, StateConnecting, nil)
	c2.Close()
	err = <-done
	if err == nil {
		t.Fatal("Connect succeeded against a silent server")
	}
	if err := c2.WaitClosed(20000); err != nil {
		t.Fatal(err)
	}
	if s := r2.waitState(0, StateClosed, nil); s.Cause() == nil || s.Cause().ErrorClass() != ClassCanceled {
		t.Fatalf("closed with %+v", s.Cause())
	}
}

// Messages sent while Start connects go out once connected, first and in
// order; a callback may send as soon as it hears StateConnected.
func TestSendWhileConnecting(t *testing.T) {
	url := newServer(t, echo, nil)
	r := &connectSender{recorder: newRecorder(t)}
	c, err := NewClient(url, testConfig(t), r)
	if err != nil {
		t.Fatal(err)
	}
	r.c.Store(c)
	if err := c.SendText("too early"); !errors.Is(err, errNotConnected) {
		t.Fatalf("Send before Start: %v", err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := c.SendText(fmt.Sprintf("early %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	r.wait("4 echoes", func() bool { return len(r.msgs) == 4 })
	if got := strings.Join(r.msgs, ","); got != "early 0,early 1,early 2,on connected" {
		t.Fatalf("echoes %s", got)
	}
	c.Close()
	if err := c.WaitClosed(20000); err != nil {
		t.Fatal(err)
	}
}

// connectSender sends from its OnStateChange(StateConnected).
type connectSender struct {
	*recorder
	c atomic.Pointer[Client]
}

func (s *connectSender) OnStateChange(st *StateChange) {
	s.recorder.OnStateChange(st)
	if st.State() == StateConnected {
		if err := s.c.Load().SendText("on connected"); err != nil {
			s.t.Errorf("Send from OnStateChange: %v", err)
		}
	}
}

// Pause while reconnecting (no connection to drop) still reports
// StatePaused, and nothing reconnects until Resume.
func TestPauseWhileReconnecting(t *testing.T) {
	h := server.NewHandler(echo, nil)
	ts := httptest.NewServer(h)
	defer ts.Close()
	defer h.Shutdown(context.Background())
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/"
	r := newRecorder(t)
	cfg := testConfig(t)
	cfg.SetInitialBackoffMs(60 * 60 * 1000) // the reconnect waits: Resume ends the wait
	cfg.SetMaxBackoffMs(60 * 60 * 1000)
	cfg.SetTransports("sse") // an HTTP stream, which CloseClientConnections cuts (a hijacked WebSocket it does not)
	c := connect(t, url, cfg, r)
	from := r.nStates()
	ts.CloseClientConnections() // the network drops it: the client reconnects, after the backoff
	r.waitState(from, StateReconnecting, nil)
	from = r.nStates()
	if err := c.Pause(); err != nil {
		t.Fatal(err)
	}
	r.waitState(from, StatePaused, nil)
	if c.State() != StatePaused {
		t.Fatalf("state %d", c.State())
	}
	if err := c.Resume(); err != nil {
		t.Fatal(err)
	}
	if !r.waitState(from, StateConnected, nil).Resumed() {
		t.Fatal("not resumed")
	}
	if err := c.SendText("back"); err != nil {
		t.Fatal(err)
	}
	r.wait("echo", func() bool { return len(r.msgs) == 1 })
}
