//go:build integration

package integration

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/internal/hostile"
	"github.com/tether-sdk/tether/internal/procs"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/server"
	"github.com/tether-sdk/tether/transport"
)

// nginx is one nginx in front of one backend, from conf/nginx.conf.tmpl.
type nginx struct {
	p    *procs.Proc
	addr string
	dir  string
}

// startNginx starts nginx on a free port in front of backendAddr (plain
// HTTP) and stops it when the test ends.
func startNginx(t *testing.T, backendAddr string) *nginx {
	t.Helper()
	dir, err := os.MkdirTemp(suite.dir, "nginx-")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"logs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p, port, err := procs.OnFreePort("nginx", func(port int) (*procs.Proc, error) {
		conf := filepath.Join(dir, "nginx.conf")
		if err := fillTemplate("nginx.conf.tmpl", conf, map[string]string{
			"PREFIX": dir, "PORT": strconv.Itoa(port), "BACKEND": backendAddr,
			"CERT": suite.nginxCert, "KEY": suite.nginxKey,
		}); err != nil {
			return nil, err
		}
		return procs.Start("nginx", dir, "nginx", "-p", dir, "-c", conf)
	})
	if err != nil {
		t.Fatal(err)
	}
	n := &nginx{p: p, addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir}
	t.Cleanup(func() {
		p.Stop(5 * time.Second)
		if t.Failed() {
			t.Logf("nginx output:\n%s\naccess log:\n%s", p.Output(), readFileString(filepath.Join(dir, "logs", "access.log")))
		}
	})
	return n
}

// url is the Tether endpoint behind one of nginx's locations.
func (n *nginx) url(location string) string { return "wss://" + n.addr + "/" + location + "/live" }

// accessLog returns nginx's access log so far.
func (n *nginx) accessLog() string { return readFileString(filepath.Join(n.dir, "logs", "access.log")) }

// nginxRig is a plain-HTTP backend with nginx in front.
func nginxRig(t *testing.T, serve func(*server.Session), so *server.Options) (*backend, *nginx) {
	b, ng, _ := nginxRigSeen(t, serve, so)
	return b, ng
}

// seen counts the requests the backend got behind nginx, by kind: the
// tether mode ("sse", "poll-open", ...), "upgrade" for a WebSocket upgrade,
// "plain" for a GET with neither (an upgrade whose headers nginx dropped).
type seen struct {
	mu sync.Mutex
	m  map[string]int
}

func (s *seen) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := r.URL.Query().Get("tether")
		switch {
		case strings.EqualFold(r.Header.Get("Upgrade"), "websocket"):
			kind = "upgrade"
		case kind == "":
			kind = "plain"
		}
		s.mu.Lock()
		s.m[kind]++
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (s *seen) count(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[kind]
}

func (s *seen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprint(s.m)
}

// nginxRigSeen is nginxRig that also counts what reached the backend.
func nginxRigSeen(t *testing.T, serve func(*server.Session), so *server.Options) (*backend, *nginx, *seen) {
	sn := &seen{m: map[string]int{}}
	b := newBackend(t, false, server.NewHandler(serve, so), sn.wrap)
	return b, startNginx(t, b.addr), sn
}

// Scenario 2: nginx terminates TLS and forwards the upgrade: WebSocket.
func TestNginxForwardsUpgrade(t *testing.T) {
	row := scenario(t, 2, "nginx terminating TLS, forwarding Upgrade")
	_, ng := nginxRig(t, echo, nil)
	ev := newEvents()
	c, el := dial(t, ng.url("ok"), opts(ev))
	row.connected(c.Transport(), el)
	if c.Transport() != "websocket" {
		t.Fatalf("on %s, want websocket; events %s", c.Transport(), ev)
	}
	roundTrip(t, c, "ok", 300)
	if err := c.Send(context.Background(), client.Binary([]byte{0, 1, 254, 255})); err != nil {
		t.Fatal(err)
	}
	m, err := c.Receive(context.Background())
	if err != nil || !m.Binary || string(m.Data) != "\x00\x01\xfe\xff" {
		t.Fatalf("binary echo: %+v %v", m, err)
	}
	row.ended(c.Transport())
}

// Scenario 3: nginx does not forward Upgrade/Connection (the backend sees a
// plain GET and the client gets 400): SSE, messages both ways.
func TestNginxWithoutUpgradeFallsBackToSSE(t *testing.T) {
	row := scenario(t, 3, "nginx not forwarding Upgrade (400)")
	received := make(chan string, 1000)
	_, ng, sn := nginxRigSeen(t, func(s *server.Session) {
		// Server to client on its own, and client to server acknowledged.
		go func() {
			for i := 0; i < 200; i++ {
				if s.Send(s.Context(), server.Text(fmt.Sprintf("push%05d", i))) != nil {
					return
				}
			}
		}()
		for {
			m, err := s.Receive(s.Context())
			if err != nil {
				return
			}
			received <- string(m.Data)
		}
	}, nil)
	ev := newEvents()
	c, el := dial(t, ng.url("blocked"), opts(ev))
	row.connected(c.Transport(), el)
	got := ev.waitFor(t, 0, "connected", isConnected).(client.ConnectedEvent)
	if got.Transport != "sse" {
		t.Fatalf("on %s, want sse; events %s", got.Transport, ev)
	}
	if !strings.Contains(got.Reason, "websocket failed (refused 400") {
		t.Fatalf("the reason %q does not say the upgrade was refused with 400", got.Reason)
	}
	t.Logf("reason: %s", got.Reason)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 0; i < 200; i++ {
		if err := c.Send(ctx, client.Text(fmt.Sprintf("up%05d", i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 200; i++ {
		m, err := c.Receive(ctx)
		if err != nil {
			t.Fatalf("receive %d: %v", i, err)
		}
		if want := fmt.Sprintf("push%05d", i); string(m.Data) != want {
			t.Fatalf("got %q, want %q", m.Data, want)
		}
	}
	for i := 0; i < 200; i++ {
		select {
		case s := <-received:
			if want := fmt.Sprintf("up%05d", i); s != want {
				t.Fatalf("server got %q, want %q", s, want)
			}
		case <-ctx.Done():
			t.Fatalf("server got %d of 200", i)
		}
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Transport() != "sse" {
		t.Fatalf("ended on %s", c.Transport())
	}
	// The upgrade reached the backend as a plain GET (nginx dropped
	// Upgrade and Connection), and nginx passed on the backend's 400.
	if sn.count("plain") == 0 || sn.count("upgrade") != 0 {
		t.Fatalf("the backend saw %s, want a plain GET and no upgrade", sn)
	}
	// The upgrade of a new session names its attempt (PROTOCOL.md 4.8).
	if n := countLines(ng.accessLog(), "\"GET /blocked/live?tether_attempt=", " HTTP/1.1\" 400 "); n == 0 {
		t.Fatalf("nginx logged no refused upgrade:\n%s", ng.accessLog())
	}
	row.ended(c.Transport())
}

// Scenario 4: nginx buffers responses and ignores X-Accel-Buffering: SSE
// stalls, the client notices and uses long-polling.
func TestNginxBufferingFallsBackToLongPoll(t *testing.T) {
	for _, tc := range []struct {
		name string
		slow time.Duration // Options.SlowTimeout
		num  int
	}{
		// Defaults: the silent SSE has long-polling started in parallel
		// after SlowTimeout (2.5 s), which wins.
		{"defaults", 0, 4},
		// SlowTimeout out of the way: SSE's own first-event check
		// (FirstEventWait, 3 s) gives up on the stalled stream.
		{"first-event-check", 20 * time.Second, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			row := scenario(t, tc.num, "nginx buffering, ignoring X-Accel-Buffering ("+tc.name+")")
			b, ng, sn := nginxRigSeen(t, echo, nil)
			ev := newEvents()
			o := opts(ev)
			o.SlowTimeout = tc.slow
			c, el := dial(t, ng.url("buffered"), o)
			row.connected(c.Transport(), el)
			got := ev.waitFor(t, 0, "connected", isConnected).(client.ConnectedEvent)
			t.Logf("reason: %s", got.Reason)
			if got.Transport != "longpoll" {
				t.Fatalf("on %s, want longpoll; events %s", got.Transport, ev)
			}
			if !strings.Contains(got.Reason, "websocket failed (refused 400") {
				t.Fatalf("reason %q", got.Reason)
			}
			// SSE either ran out of its first-event window ("sse failed") or,
			// raced by long-polling (Options.RaceDelay), is named as held back.
			if tc.slow > 0 && !strings.Contains(got.Reason, "sse failed") && !strings.Contains(got.Reason, "sse: first event held back") {
				t.Fatalf("reason %q does not say what happened to SSE", got.Reason)
			}
			// SSE was tried, reached the backend (which answered at once),
			// and stalled in nginx's buffers.
			if sn.count("sse") == 0 {
				t.Fatalf("SSE never reached the backend: %s", sn)
			}
			roundTrip(t, c, "lp", 200)
			// The stalled SSE attach started a session whose welcome never
			// reached the client; when the client gives the attempt up (its
			// first-event window over) it cancels it by its attempt id
			// (PROTOCOL.md 4.8) and the server ends it at once.
			cancelled := func() int { return countLines(ng.accessLog(), "tether=cancel&", "\" 204 ") }
			deadline := time.Now().Add(30 * time.Second) // a hang detector: the window is 3 s
			for cancelled() == 0 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if cancelled() == 0 {
				t.Fatalf("the held-back SSE attempt was never cancelled; access log:\n%s", ng.accessLog())
			}
			t.Logf("live sessions on the server: %d (ended ones stay findable for their close grace)", b.handler.Sessions())
			row.ended(c.Transport())
		})
	}
}

// Scenario 5: nginx with proxy_read_timeout 3 s. The WebSocket stays up past
// it thanks to the server's heartbeats; long-polls are held under it
// (Options.PollHold), and a poll that nginx cuts is recovered from.
func TestNginxShortReadTimeout(t *testing.T) {
	const idle = 7 * time.Second // more than twice nginx's 3 s
	t.Run("websocket-heartbeats", func(t *testing.T) {
		t.Parallel()
		row := scenario(t, 5, "nginx proxy_read_timeout 3 s, server heartbeat 1 s")
		_, ng := nginxRig(t, echo, &server.Options{Heartbeat: time.Second})
		ev := newEvents()
		o := opts(ev)
		o.Transports = []string{"websocket"}
		c, el := dial(t, ng.url("short"), o)
		row.connected(c.Transport(), el)
		roundTrip(t, c, "a", 10)
		if e, cut := ev.within(0, idle, isDisconnected); cut {
			t.Fatalf("the WebSocket was cut while idle: %+v", e)
		}
		roundTrip(t, c, "b", 10)
		if c.Transport() != "websocket" || ev.count(isConnected) != 1 {
			t.Fatalf("on %s after %d connects; events %s", c.Transport(), ev.count(isConnected), ev)
		}
		row.ended(c.Transport())
	})
	t.Run("websocket-control-without-heartbeats", func(t *testing.T) {
		t.Parallel()
		// The control: with the default 25 s heartbeat nginx does cut the
		// idle WebSocket at 3 s, and the client resumes.
		row := scenario(t, 5, "nginx proxy_read_timeout 3 s, default heartbeat (control: cut, resumed)")
		_, ng := nginxRig(t, echo, nil)
		ev := newEvents()
		o := opts(ev)
		o.Transports = []string{"websocket"}
		c, el := dial(t, ng.url("short"), o)
		row.connected(c.Transport(), el)
		start := time.Now()
		e, cut := ev.within(0, 10*time.Second, isDisconnected)
		if !cut {
			t.Fatalf("nginx did not cut the idle WebSocket: the 3 s timeout is not in force; events %s", ev)
		}
		t.Logf("cut after %v: %+v", time.Since(start).Round(time.Millisecond), e)
		got := ev.waitFor(t, 1, "reconnected", func(e client.Event) bool { return connectedOn("websocket")(e) && e.(client.ConnectedEvent).Resumed }).(client.ConnectedEvent)
		if !got.Resumed {
			t.Fatalf("not resumed: %+v", got)
		}
		roundTrip(t, c, "c", 10)
		row.ended(c.Transport())
	})
	t.Run("longpoll-held-under-timeout", func(t *testing.T) {
		t.Parallel()
		row := scenario(t, 5, "nginx proxy_read_timeout 3 s, long-poll held 1.5 s")
		_, ng := nginxRig(t, echo, &server.Options{PollHold: 1500 * time.Millisecond})
		ev := newEvents()
		logs := newLogRecorder()
		o := opts(ev)
		o.Transports = []string{"longpoll"}
		o.Logger = logs.logger()
		c, el := dial(t, ng.url("short"), o)
		row.connected(c.Transport(), el)
		roundTrip(t, c, "a", 10)
		if e, cut := ev.within(0, idle, isDisconnected); cut {
			t.Fatalf("the long-poll link broke while idle: %+v", e)
		}
		if m, failed := logs.waitFor(0, "long-poll failed", 0); failed {
			t.Fatalf("a poll failed: %s", m)
		}
		if n := countLines(ng.accessLog(), "tether=poll&", "\" 504 "); n > 0 {
			t.Fatalf("nginx cut %d polls", n)
		}
		if n := countLines(ng.accessLog(), "tether=poll&", "\" 200 "); n < 3 {
			t.Fatalf("only %d polls answered in %v: they are not held", n, idle)
		}
		roundTrip(t, c, "b", 10)
		row.ended(c.Transport())
	})
	t.Run("longpoll-cut-by-proxy", func(t *testing.T) {
		t.Parallel()
		// The server holds polls for 10 s, nginx cuts them at 3 s (504):
		// the client polls again and nothing is lost, and it learns to ask
		// for holds under 3 s (tether_hold, PROTOCOL.md 9.3): a few cut
		// polls while it learns, then none.
		row := scenario(t, 5, "nginx proxy_read_timeout 3 s, long-poll held 10 s (adaptive hold: cut while learning, then none)")
		received := make(chan string, 100)
		var sess = make(chan *server.Session, 1)
		_, ng := nginxRig(t, func(s *server.Session) {
			sess <- s
			for {
				m, err := s.Receive(s.Context())
				if err != nil {
					return
				}
				received <- string(m.Data)
			}
		}, &server.Options{PollHold: 10 * time.Second})
		ev := newEvents()
		logs := newLogRecorder()
		o := opts(ev)
		o.Transports = []string{"longpoll"}
		o.Logger = logs.logger()
		c, el := dial(t, ng.url("short"), o)
		row.connected(c.Transport(), el)
		sid := c.SessionID()
		s := <-sess
		m, cut := logs.waitFor(0, "long-poll failed", 10*time.Second)
		if !cut {
			t.Fatalf("nginx did not cut a held poll; access log:\n%s", ng.accessLog())
		}
		t.Logf("client: %s", m)
		exchange := func(from, to int) {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			for i := from; i < to; i++ {
				if err := s.Send(ctx, server.Text(fmt.Sprintf("down%02d", i))); err != nil {
					t.Fatal(err)
				}
				if err := c.Send(ctx, client.Text(fmt.Sprintf("up%02d", i))); err != nil {
					t.Fatal(err)
				}
			}
			for i := from; i < to; i++ {
				m, err := c.Receive(ctx)
				if err != nil || string(m.Data) != fmt.Sprintf("down%02d", i) {
					t.Fatalf("receive %d: %q %v", i, m.Data, err)
				}
				select {
				case got := <-received:
					if got != fmt.Sprintf("up%02d", i) {
						t.Fatalf("server got %q at %d", got, i)
					}
				case <-ctx.Done():
					t.Fatal("server did not get the client's messages")
				}
			}
		}
		// After the cut, both directions still work on the same session.
		exchange(0, 20)
		cuts := func() int { return countLines(ng.accessLog(), "tether=poll&", "\" 504 ") }
		if cuts() == 0 {
			t.Fatalf("no 504 in nginx's access log:\n%s", ng.accessLog())
		}
		// Idle while the client learns: its first cut, then one probe above
		// what it learnt (after 8 polls at the bound, about 18 s), cut too.
		if _, ok := logs.waitFor(0, "asking for shorter holds", 5*time.Second); !ok {
			t.Fatalf("the client did not shorten its hold after a cut; access log:\n%s", ng.accessLog())
		}
		learning := time.Now()
		for {
			from := logs.lastIndex("asking for shorter holds") + 1
			if _, ok := logs.waitFor(from, "asking for shorter holds", 30*time.Second); !ok {
				break // 30 s without a cut to learn from
			}
			if n := logs.count("asking for shorter holds"); n >= 3 {
				t.Fatalf("the client shortened its hold %d times; logs:\n%s", n, logs.since(0))
			}
		}
		learnt := cuts()
		if learnt > 3 {
			t.Fatalf("%d polls cut while learning, want at most 3", learnt)
		}
		t.Logf("learnt in %v with %d polls cut (504)", time.Since(learning).Round(time.Second), learnt)
		// Learnt: 45 s of idle (15 of nginx's timeouts) cost no cut poll, no
		// failure, no disconnect.
		quiet, n, fails := ev.len(), logs.len(), logs.count("long-poll failed")
		const idleAfter = 45 * time.Second
		if e, dead := ev.within(quiet, idleAfter, isDisconnected); dead {
			t.Fatalf("disconnected after learning: %+v", e)
		}
		if got := cuts(); got != learnt {
			t.Fatalf("%d polls cut (504) in %v of idle after learning", got-learnt, idleAfter)
		}
		if f := logs.count("long-poll failed"); f != fails {
			t.Fatalf("%d polls failed after learning; logs since:\n%s", f-fails, logs.since(n))
		}
		if held := countLines(ng.accessLog(), "tether=poll&", "tether_hold=", "\" 200 "); held < 20 {
			t.Fatalf("only %d polls answered 200 with a hold: they are not held near 3 s", held)
		}
		exchange(20, 40)
		t.Logf("before: a poll cut every 3 s (see longpoll-without-hold-control); after: %d polls cut (504) while learning, 0 in %v after; %d disconnects",
			learnt, idleAfter, ev.count(isDisconnected))
		if ev.count(isSessionLost) > 0 || c.SessionID() != sid {
			t.Fatalf("the session was lost; events %s", ev)
		}
		row.ended(c.Transport())
	})
	t.Run("longpoll-without-hold-control", func(t *testing.T) {
		t.Parallel()
		// The control, and the cost before tether_hold: polls that ask for
		// no hold (as the client did before, and as any client does with a
		// server that holds longer than the proxy waits) are cut every 3 s.
		row := scenario(t, 5, "nginx proxy_read_timeout 3 s, long-poll held 10 s, no tether_hold (control: every idle poll cut)")
		_, ng := nginxRig(t, echo, &server.Options{PollHold: 10 * time.Second})
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: suite.caPool}}}
		t.Cleanup(hc.CloseIdleConnections)
		base := "https://" + ng.addr + "/short/live?tether_v=1&tether="
		start := time.Now()
		resp, err := hc.Get(base + "poll-open")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		frames, perr := wire.ParseJSONBatch(body, 1, 1<<20)
		if err != nil || perr != nil || len(frames) != 1 || frames[0].Welcome == nil {
			t.Fatalf("poll-open: %d %q %v %v", resp.StatusCode, body, err, perr)
		}
		row.connected("longpoll", time.Since(start))
		w := frames[0].Welcome
		const window = 30 * time.Second
		polls, cut := 0, 0
		for end := time.Now().Add(window); time.Now().Before(end); polls++ {
			req, _ := http.NewRequest(http.MethodGet, base+"poll&tether_sid="+w.SID+"&tether_ack=0", nil)
			req.Header.Set(wire.HeaderKey, w.Key)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusGatewayTimeout:
				cut++
			case http.StatusOK:
			default:
				t.Fatalf("poll answered %s", resp.Status)
			}
		}
		t.Logf("before: %d of %d idle polls cut (504) in %v: %.0f a minute", cut, polls, window, float64(cut)*float64(time.Minute)/float64(window))
		if cut < polls-1 || cut < 5 {
			t.Fatalf("%d of %d polls cut in %v: nginx's 3 s timeout is not in force", cut, polls, window)
		}
		row.ended("longpoll")
	})
}

// lastIndex returns the index of the last message containing s, -1 if none.
func (l *logRecorder) lastIndex(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.msgs) - 1; i >= 0; i-- {
		if strings.Contains(l.msgs[i], s) {
			return i
		}
	}
	return -1
}

// count counts the messages containing s.
func (l *logRecorder) count(s string) int {
	return countLines(l.since(0), s)
}

// since returns the messages from index from on, one a line.
func (l *logRecorder) since(from int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.msgs[min(from, len(l.msgs)):], "\n")
}

// Scenario 9: pinning through nginx. The right pin (nginx's key, or the
// CA's) connects; a wrong pin fails at once: one TCP connection, no retry,
// no fallback.
func TestNginxPinning(t *testing.T) {
	_, ng := nginxRig(t, echo, nil)
	// A relay in front of nginx that only counts connections.
	counter, err := hostile.NewFaultProxy(ng.addr, hostile.FaultOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { counter.Close() })
	url := "wss://" + counter.Addr() + "/ok/live"
	for _, tc := range []struct{ name, pin string }{
		{"leaf-pin", pin(suite.nginx)},
		{"ca-pin", transport.SPKIPin(suite.ca.Cert)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			row := scenario(t, 9, "pinning through nginx: right pin ("+tc.name+")")
			ev := newEvents()
			o := opts(ev)
			o.Dial.Pins = []transport.Pin{{Host: "127.0.0.1", Hash: tc.pin}}
			c, el := dial(t, url, o)
			row.connected(c.Transport(), el)
			if c.Transport() != "websocket" {
				t.Fatalf("on %s", c.Transport())
			}
			roundTrip(t, c, "pin", 20)
			row.ended(c.Transport())
		})
	}
	for _, transports := range [][]string{nil, {"sse"}, {"longpoll"}} {
		name := "wrong-pin"
		if transports != nil {
			name += "/" + transports[0]
		}
		t.Run(name, func(t *testing.T) { wrongPinThroughNginx(t, url, counter, transports) })
	}
}

// wrongPinThroughNginx: a wrong pin fails at once with a *transport.PinError,
// on one connection: no retry, no other transport.
func wrongPinThroughNginx(t *testing.T, url string, counter *hostile.FaultProxy, transports []string) {
	what := "pinning through nginx: wrong pin"
	if transports != nil {
		what += ", " + transports[0] + " only"
	}
	row := scenario(t, 9, what)
	other, err := suite.ca.Issue("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ev := newEvents()
	o := opts(ev)
	o.Dial.Pins = []transport.Pin{{Host: "127.0.0.1", Hash: pin(other)}}
	o.Transports = transports
	before := counter.Accepted()
	start := time.Now()
	c, err := client.Dial(context.Background(), url, o)
	el := time.Since(start)
	if err == nil {
		c.Close(context.Background())
		t.Fatal("connected with a wrong pin")
	}
	row.failedWith("refused: *transport.PinError", el)
	t.Logf("error after %v: %v", el.Round(time.Millisecond), err)
	if _, ok := errorsAs[*transport.PinError](err); !ok {
		t.Fatalf("errors.As gives no *transport.PinError: %v", err)
	}
	if !errors.Is(err, transport.ErrPinMismatch) {
		t.Fatalf("not ErrPinMismatch: %v", err)
	}
	if _, ok := errorsAs[*client.ConnectError](err); ok {
		t.Fatalf("a pin mismatch tried other transports: %v", err)
	}
	if el > 3*time.Second {
		t.Fatalf("the pin failure took %v", el)
	}
	if n := counter.Accepted() - before; n != 1 {
		t.Fatalf("%d connections for a wrong pin, want exactly 1 (no retry, no fallback)", n)
	}
	if n := ev.count(isReconnecting); n > 0 {
		t.Fatalf("reconnecting after a pin failure; events %s", ev)
	}
	ev.waitFor(t, 0, "closed", func(e client.Event) bool { _, ok := e.(client.ClosedEvent); return ok })
}
