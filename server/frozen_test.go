package server

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/hostile"
	"github.com/tether-sdk/tether/internal/wire"
)

// Issue 17, item 4: a path that freezes (no FIN, no RST, nothing read: what
// the server sees after a NAT rebinding or a network switch) holds no
// server resources past Options.WriteTimeout, on every transport: the
// connection's goroutines end, the attachment detaches with a logged
// reason, and the session waits for its client's resume.

// frozenRig is a Handler behind a plaintext httptest server on 127.0.0.1,
// reached through a FaultProxy. The server's sockets have small send
// buffers so that a stalled path blocks its writes after little data.
type frozenRig struct {
	t     *testing.T
	h     *Handler
	srv   *httptest.Server
	relay *hostile.FaultProxy
	open  atomic.Int64 // the server's open connections
	log   *syncBuffer
	start chan struct{} // closed: the serve function starts flooding
	base  int           // connGoroutines before the rig's first connection
}

func newFrozenRig(t *testing.T) *frozenRig { return newFrozenRigWrite(t, 200*time.Millisecond) }

// newFrozenRigWrite is newFrozenRig with Options.WriteTimeout wt.
func newFrozenRigWrite(t *testing.T, wt time.Duration) *frozenRig {
	t.Helper()
	fr := &frozenRig{t: t, log: &syncBuffer{}, start: make(chan struct{})}
	o := &Options{
		WriteTimeout:          wt,
		Heartbeat:             50 * time.Millisecond, // SSE heartbeats, WebSocket pings
		Timeout:               time.Hour,             // only the write bound may notice
		SessionTTL:            time.Hour,
		MaxBufferedBytes:      32 << 20,
		MaxTotalBufferedBytes: 64 << 20,
		Logger:                slog.New(slog.NewTextHandler(fr.log, nil)),
	}
	fr.h = NewHandler(fr.flood, o)
	fr.srv = httptest.NewUnstartedServer(fr.h)
	fr.srv.Listener = smallBufListener{fr.srv.Listener}
	fr.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			fr.open.Add(1)
		case http.StateClosed, http.StateHijacked:
			fr.open.Add(-1)
		}
	}
	fr.srv.Start()
	relay, err := hostile.NewFaultProxy(fr.srv.Listener.Addr().String(), hostile.FaultOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fr.relay = relay
	// An earlier test's stream may still be ending; a count taken then
	// would be off.
	eventually(t, "no earlier SSE writer is blocked", func() bool { return blockedSSEWriters() == 0 })
	fr.base = connGoroutines()
	t.Cleanup(func() {
		relay.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		fr.h.Shutdown(ctx)
		fr.srv.CloseClientConnections()
		fr.srv.Close()
	})
	return fr
}

// flood sends 64 KiB messages from start on, until the session ends.
func (fr *frozenRig) flood(s *Session) {
	select {
	case <-fr.start:
	case <-s.Context().Done():
		return
	}
	// The first message alone is more than the buffers of the path take,
	// so that a long-poll's answer blocks too.
	if s.Send(s.Context(), Message{Data: bytes.Repeat([]byte("F"), 1000<<10)}) != nil {
		return
	}
	data := bytes.Repeat([]byte("f"), 64<<10)
	for s.Send(s.Context(), Message{Data: data}) == nil {
	}
}

func (fr *frozenRig) url(q url.Values) string { return fr.relay.URL() + "/live?" + q.Encode() }

// goroutines counts the goroutines whose stack (a goroutine profile's
// entry, debug=2) contains every one of parts.
func goroutines(parts ...string) int {
	var b strings.Builder
	pprof.Lookup("goroutine").WriteTo(&b, 2)
	n := 0
	for _, g := range strings.Split(b.String(), "\n\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(g, p)
		}
		if all {
			n++
		}
	}
	return n
}

// blockedSSEWriters counts the SSE writers blocked in a write.
func blockedSSEWriters() int {
	return goroutines("server.(*sseWriter).flush", "internal/poll.(*FD).Write")
}

// connGoroutines counts the goroutines serving the handler's connections:
// net/http's per-connection goroutines and the WebSockets' readers and
// writers.
func connGoroutines() int {
	return goroutines("net/http.(*conn).serve") + wsGoroutines()
}

// blockedWSWriters counts the WebSocket writers blocked in a write.
func blockedWSWriters() int {
	return goroutines("server.(*wsConn).writeRun", "internal/poll.(*FD).Write")
}

// wsGoroutines counts the goroutines of the handler's WebSockets.
func wsGoroutines() int {
	return goroutines("server.(*wsConn).readLoop(") + goroutines("server.(*wsConn).writeRun(")
}

// assertReleased checks the outcome after the path froze with data due.
func (fr *frozenRig) assertReleased(transport string) {
	t := fr.t
	t.Helper()
	s := fr.onlySession()
	eventually(t, "the attachment is detached", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.att == nil
	})
	eventually(t, "the server's connections are closed", func() bool { return fr.open.Load() == 0 })
	eventually(t, "the connections' goroutines are gone", func() bool { return connGoroutines() <= fr.base })
	if err := s.Context().Err(); err != nil {
		t.Fatalf("the session ended (%v); it must wait for a resume", err)
	}
	if n := len(fr.h.opts.Store.All()); n != 1 {
		t.Fatalf("%d sessions in the store, want 1 (waiting for a resume)", n)
	}
	log := fr.log.String()
	if !strings.Contains(log, transport+": write stalled 200ms: detached") {
		t.Fatalf("the log does not show the stalled write:\n%s", log)
	}
	if !strings.Contains(log, "transport detached") {
		t.Fatalf("the log does not show the detach:\n%s", log)
	}
}

func (fr *frozenRig) onlySession() *Session {
	fr.t.Helper()
	all := fr.h.opts.Store.All()
	if len(all) != 1 {
		fr.t.Fatalf("%d sessions, want 1", len(all))
	}
	return all[0]
}

func TestFrozenPathWebSocketReleased(t *testing.T) {
	fr := newFrozenRig(t)
	d := websocket.Dialer{Subprotocols: []string{wire.Subprotocol}}
	c, _, err := d.Dial("ws"+fr.relay.URL()[len("http"):]+"/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wsWrite(t, c, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: 1}})
	if f := wsRead(t, c); f.Kind != wire.KindWelcome {
		t.Fatalf("got %s, want the welcome", f.Kind)
	}
	if n := fr.relay.StallAll(); n != 1 {
		t.Fatalf("stalled %d connections, want 1", n)
	}
	close(fr.start)
	fr.assertReleased("websocket")
}

func TestFrozenPathSSEReleased(t *testing.T) {
	fr := newFrozenRig(t)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(fr.url(q(wire.ParamMode, wire.ModeSSE)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.Contains(line, `["w",`) {
		t.Fatalf("first line %q, %v; want the welcome", line, err)
	}
	if n := fr.relay.StallAll(); n != 1 {
		t.Fatalf("stalled %d connections, want 1", n)
	}
	close(fr.start)
	fr.assertReleased("sse")
}

// An idle SSE stream on a frozen path writes nothing but heartbeats, which
// the kernel buffers take; the client's resume on a fresh connection
// supersedes it, and the frozen connection goes at once.
func TestFrozenPathSSESupersededReleased(t *testing.T) {
	fr := newFrozenRig(t)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	// The frozen stream's connection is a keep-alive one: the server must
	// not keep it idle once the stream is superseded.
	keepAlive := &http.Client{Transport: &http.Transport{}}
	defer keepAlive.CloseIdleConnections()
	resp, err := keepAlive.Get(fr.url(q(wire.ParamMode, wire.ModeSSE)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	var welcome wire.Frame
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if data, ok := strings.CutPrefix(strings.TrimSpace(line), "data:"); ok {
			if welcome, err = wire.ParseJSON([]byte(strings.TrimSpace(data)), 0); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if welcome.Kind != wire.KindWelcome {
		t.Fatalf("got %s, want the welcome", welcome.Kind)
	}
	fr.relay.StallAll()
	// The resume, on a fresh connection through the same relay.
	req, _ := http.NewRequest(http.MethodGet, fr.url(q(wire.ParamMode, wire.ModeSSE, wire.ParamSID, welcome.Welcome.SID, wire.ParamAck, "0")), nil)
	req.Header.Set(wire.HeaderKey, welcome.Welcome.Key)
	resp2, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp2.StatusCode != http.StatusOK {
		var b bytes.Buffer
		b.ReadFrom(resp2.Body)
		t.Fatalf("resume: %s %s", resp2.Status, b.Bytes())
	}
	eventually(t, "the frozen connection is closed", func() bool { return fr.open.Load() == 1 })
	eventually(t, "its goroutine is gone", func() bool { return connGoroutines() <= fr.base+1 })
	resp2.Body.Close()
	eventually(t, "the resumed stream's connection is closed", func() bool { return fr.open.Load() == 0 })
	s := fr.onlySession()
	eventually(t, "the resumed stream is detached", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.att == nil
	})
	if err := s.Context().Err(); err != nil {
		t.Fatalf("the session ended (%v); it must wait for a resume", err)
	}
}

func TestFrozenPathPollReleased(t *testing.T) {
	fr := newFrozenRig(t)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(fr.url(q(wire.ParamMode, wire.ModePollOpen)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	resp.Body.Close()
	frames, err := wire.ParseJSONBatch(buf.Bytes(), 0, 0)
	if err != nil || len(frames) != 1 || frames[0].Kind != wire.KindWelcome {
		t.Fatalf("poll open: %q, %v", buf.Bytes(), err)
	}
	w := frames[0].Welcome
	eventually(t, "the open's connection is closed", func() bool { return fr.open.Load() == 0 })
	req, _ := http.NewRequest(http.MethodGet, fr.url(q(wire.ParamMode, wire.ModePoll, wire.ParamSID, w.SID, wire.ParamAck, "0")), nil)
	req.Header.Set(wire.HeaderKey, w.Key)
	held := make(chan error, 1)
	go func() {
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close() // unreachable while the path is stalled
		}
		held <- err
	}()
	eventually(t, "the poll is held", func() bool { return fr.h.polls.Load() == 1 })
	if n := fr.relay.StallAll(); n != 1 {
		t.Fatalf("stalled %d connections, want 1", n)
	}
	close(fr.start)
	fr.assertReleased("longpoll")
	if n := fr.h.polls.Load(); n != 0 {
		t.Fatalf("%d polls held, want 0", n)
	}
	fr.relay.Close() // the client's request ends with the relay
	<-held
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// smallBufListener gives the connections it accepts a small send buffer,
// so that a stalled path blocks the server's writes after little data.
type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(16 << 10)
	}
	return c, err
}

// A WebSocket whose writer is blocked (a frozen path, a client that stopped
// reading) and whose session the client resumes elsewhere goes within
// supersededWriteBound, not after WriteTimeout (an hour here).
func TestFrozenPathWebSocketSupersededReleased(t *testing.T) {
	fr := newFrozenRigWrite(t, time.Hour)
	d := websocket.Dialer{Subprotocols: []string{wire.Subprotocol}}
	c, _, err := d.Dial("ws"+fr.relay.URL()[len("http"):]+"/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wsWrite(t, c, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: 1}})
	welcome := wsRead(t, c)
	if welcome.Kind != wire.KindWelcome {
		t.Fatalf("got %s, want the welcome", welcome.Kind)
	}
	fr.relay.StallAll()
	close(fr.start)
	eventually(t, "the WebSocket's writer is blocked in a write", func() bool { return blockedWSWriters() == 1 })
	// The resume, over SSE on a fresh connection through the same relay.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, fr.url(q(wire.ParamMode, wire.ModeSSE, wire.ParamSID, welcome.Welcome.SID, wire.ParamAck, "0")), nil)
	req.Header.Set(wire.HeaderKey, welcome.Welcome.Key)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("resume: %s", resp.Status)
	}
	eventually(t, "the superseded WebSocket's goroutines are gone", func() bool { return wsGoroutines() == 0 })
}
