//go:build integration

package integration

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/server"
)

// streamer sends "<prefix><index>" paced, until stopped (and at least min
// sent), counting what it sent so a test can wait for progress.
type streamer struct {
	mu   sync.Mutex
	sent int
	wake chan struct{}
	stop atomic.Bool
	err  chan error
}

func startStreamer(ctx context.Context, c *client.Client, prefix string, min int) *streamer {
	s := &streamer{wake: make(chan struct{}), err: make(chan error, 1)}
	go func() {
		tk := time.NewTicker(10 * time.Millisecond)
		defer tk.Stop()
		for i := 0; ; i++ {
			if s.stop.Load() && i >= min {
				s.err <- nil
				return
			}
			if i%20 == 0 && i > 0 {
				select {
				case <-tk.C:
				case <-ctx.Done():
					s.err <- ctx.Err()
					return
				}
			}
			if err := c.Send(ctx, client.Text(fmt.Sprintf("%s%05d", prefix, i))); err != nil {
				s.err <- err
				return
			}
			s.mu.Lock()
			s.sent = i + 1
			close(s.wake)
			s.wake = make(chan struct{})
			s.mu.Unlock()
		}
	}()
	return s
}

// waitSent waits until k more messages than now were sent.
func (s *streamer) waitMore(t *testing.T, k int) {
	t.Helper()
	s.mu.Lock()
	target := s.sent + k
	s.mu.Unlock()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		sent, w := s.sent, s.wake
		s.mu.Unlock()
		if sent >= target {
			return
		}
		select {
		case <-w:
		case <-deadline.C:
			t.Fatalf("the client sent %d, want %d", sent, target)
		}
	}
}

// finish stops the streamer and returns how many it sent.
func (s *streamer) finish(t *testing.T) int {
	t.Helper()
	s.stop.Store(true)
	if err := <-s.err; err != nil {
		t.Fatalf("send: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

// Scenario 12: the server restarts during a stream. A server that kept its
// sessions (the same Handler) is resumed with nothing lost; a server that
// lost them (a new Handler) gets a new session, and the client reports
// the old one's end with SessionLostEvent: never a silent loss.
func TestServerRestart(t *testing.T) {
	for _, tr := range []string{"websocket", "sse", "longpoll"} {
		t.Run("sessions-kept/"+tr, func(t *testing.T) { restartKept(t, tr) })
	}
	for _, tr := range []string{"websocket", "sse", "longpoll"} {
		t.Run("state-lost/"+tr, func(t *testing.T) { restartLost(t, tr) })
	}
}

func restartKept(t *testing.T, tr string) {
	const n = 3000
	row := scenario(t, 12, "server restart mid-stream, sessions kept ("+tr+")")
	up := newSeqCheck("c", 1<<20)
	down := newSeqCheck("s", n)
	var sessions atomic.Int32
	serve := func(s *server.Session) {
		sessions.Add(1)
		go pacedSend(s.Context(), n, 20, 10*time.Millisecond, "s", func(ctx context.Context, m string) error {
			return s.Send(ctx, server.Text(m))
		})
		for {
			m, err := s.Receive(s.Context())
			if err != nil {
				return
			}
			up.add(string(m.Data))
		}
	}
	b := newBackend(t, true, server.NewHandler(serve, nil), nil)
	ev := newEvents()
	o := opts(ev)
	o.Transports = []string{tr}
	c, el := dial(t, b.url(), o)
	row.connected(c.Transport(), el)
	sid := c.SessionID()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st := startStreamer(ctx, c, "c", 1000)
	got := make(chan int, 1)
	recvErr := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			if i == 300 {
				got <- i
			}
			m, err := c.Receive(ctx)
			if err != nil {
				recvErr <- err
				return
			}
			if down.add(string(m.Data)) {
				recvErr <- nil
				return
			}
		}
	}()
	<-got // the stream is flowing both ways
	st.waitMore(t, 1)
	n0 := ev.len()
	b.stop()
	ev.waitFor(t, n0, "disconnected", isDisconnected)
	st.waitMore(t, 20) // sent while the server is down
	b.start(nil)
	back := ev.waitFor(t, n0, "reconnected", isConnected).(client.ConnectedEvent)
	if !back.Resumed || back.Transport != tr {
		t.Fatalf("after the restart: %+v, want resumed on %s", back, tr)
	}
	st.waitMore(t, 20) // and after it
	sent := st.finish(t)
	if err := c.Send(ctx, client.Text("cEND")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-up.done:
	case <-ctx.Done():
		t.Fatalf("the server did not get the end marker: %s", up)
	}
	if err := <-recvErr; err != nil {
		t.Fatalf("receive: %v (%s)", err, down)
	}
	up.setN(sent) // every message the client sent, and no other
	up.assertClean(t)
	down.assertClean(t)
	if s := sessions.Load(); s != 1 || c.SessionID() != sid || ev.count(isSessionLost) > 0 {
		t.Fatalf("%d sessions, session %q -> %q; events %s", s, sid, c.SessionID(), ev)
	}
	t.Logf("%s: resumed after the restart; %d sent by the client, %s; %s", tr, sent, up, down)
	row.ended(c.Transport())
}

func restartLost(t *testing.T, tr string) {
	const n = 1000
	row := scenario(t, 12, "server restart mid-stream, state lost: SessionLostEvent ("+tr+")")
	type gen struct {
		mu   sync.Mutex
		recv []string
		end  chan struct{}
	}
	newGen := func() *gen { return &gen{end: make(chan struct{})} }
	// serveGen is one server process: it streams "<tag>:s<index>" and
	// records what it receives.
	serveGen := func(tag string, g *gen, limit int) func(*server.Session) {
		return func(s *server.Session) {
			go pacedSend(s.Context(), limit, 20, 10*time.Millisecond, tag+":s", func(ctx context.Context, m string) error {
				return s.Send(ctx, server.Text(m))
			})
			for {
				m, err := s.Receive(s.Context())
				if err != nil {
					return
				}
				if string(m.Data) == "cEND" {
					close(g.end)
					continue
				}
				g.mu.Lock()
				g.recv = append(g.recv, string(m.Data))
				g.mu.Unlock()
			}
		}
	}
	old, fresh := newGen(), newGen()
	b := newBackend(t, true, server.NewHandler(serveGen("A", old, 1<<20), nil), nil)
	ev := newEvents()
	o := opts(ev)
	o.Transports = []string{tr}
	c, el := dial(t, b.url(), o)
	row.connected(c.Transport(), el)
	sid := c.SessionID()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st := startStreamer(ctx, c, "c", 500)
	downA := newSeqCheck("A:s", 1<<20)
	downB := newSeqCheck("B:s", n)
	got := make(chan int, 1)
	recvErr := make(chan error, 1)
	var aAfterB atomic.Int32
	go func() {
		for i := 0; ; i++ {
			if i == 300 {
				got <- i
			}
			m, err := c.Receive(ctx)
			if errors.Is(err, client.ErrSessionLost) {
				continue // Receive says it once, between the sessions
			}
			if err != nil {
				recvErr <- err
				return
			}
			s := string(m.Data)
			switch {
			case strings.HasPrefix(s, "A:"):
				if r, _, _, _ := downB.counts(); r > 0 {
					aAfterB.Add(1)
				}
				downA.add(s)
			default:
				if downB.add(s) {
					recvErr <- nil
					return
				}
			}
		}
	}()
	<-got
	st.waitMore(t, 1)
	n0 := ev.len()
	b.stop()
	ev.waitFor(t, n0, "disconnected", isDisconnected)
	st.waitMore(t, 20) // queued while the server is down: they cannot be guaranteed
	b.start(server.NewHandler(serveGen("B", fresh, n), nil))
	lost := ev.waitFor(t, n0, "session lost", isSessionLost).(client.SessionLostEvent)
	back := ev.waitFor(t, n0, "connected", isConnected).(client.ConnectedEvent)
	t.Logf("session lost (%d messages unacknowledged, cause %v); then %+v", len(lost.Unacknowledged), lost.Cause, back)
	if back.Resumed || back.Transport != tr || c.SessionID() == sid || c.SessionID() == "" {
		t.Fatalf("after the loss: %+v, session %q -> %q", back, sid, c.SessionID())
	}
	if lost.Cause == nil {
		t.Error("SessionLostEvent without a cause")
	}
	if len(lost.Unacknowledged) == 0 {
		t.Error("SessionLostEvent lists no message, but the client sent while the server was down")
	}
	st.waitMore(t, 20) // on the new session
	sent := st.finish(t)
	if err := c.Send(ctx, client.Text("cEND")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fresh.end:
	case <-ctx.Done():
		t.Fatal("the new server did not get the end marker")
	}
	if err := <-recvErr; err != nil {
		t.Fatalf("receive: %v (%s, %s)", err, downA, downB)
	}

	// Every message the client sent is accounted for: received by the old
	// server, or reported as unacknowledged, or received by the new one;
	// and none that was reported went to the new server.
	where := make([]string, sent)
	mark := func(list []string, tag string) {
		for _, s := range list {
			var i int
			if _, err := fmt.Sscanf(s, "c%05d", &i); err != nil || i < 0 || i >= sent {
				t.Errorf("%s: unexpected message %q", tag, s)
				continue
			}
			where[i] += tag
		}
	}
	old.mu.Lock()
	mark(old.recv, "o")
	old.mu.Unlock()
	var unacked []string
	for _, m := range lost.Unacknowledged {
		unacked = append(unacked, string(m.Data))
	}
	for i := 1; i < len(unacked); i++ {
		if unacked[i] <= unacked[i-1] {
			t.Errorf("SessionLostEvent.Unacknowledged out of order: %q after %q", unacked[i], unacked[i-1])
			break
		}
	}
	mark(unacked, "u")
	fresh.mu.Lock()
	mark(fresh.recv, "n")
	freshRecv := append([]string(nil), fresh.recv...)
	fresh.mu.Unlock()
	silent, resent, dup := 0, 0, 0
	for i, w := range where {
		switch {
		case w == "":
			silent++
			if silent <= 5 {
				t.Errorf("c%05d: neither received nor reported as unacknowledged (silently lost)", i)
			}
		case strings.Contains(w, "u") && strings.Contains(w, "n"):
			resent++
		case strings.Count(w, "o") > 1 || strings.Count(w, "n") > 1:
			dup++
		}
	}
	if silent > 0 || resent > 0 || dup > 0 {
		t.Errorf("client to server: %d silently lost, %d reported lost but delivered to the new session, %d duplicated", silent, resent, dup)
	}
	for i := 1; i < len(freshRecv); i++ {
		if freshRecv[i] <= freshRecv[i-1] {
			t.Errorf("the new server got %q after %q", freshRecv[i], freshRecv[i-1])
			break
		}
	}
	recvA, _, dupsA, reorderedA := downA.counts()
	downA.setN(recvA) // the old session's stream was cut off: its tail is lost, as documented
	if dupsA > 0 || reorderedA > 0 || aAfterB.Load() > 0 {
		t.Errorf("old session's messages: %s, %d after the new session's", downA, aAfterB.Load())
	}
	downB.assertClean(t)
	t.Logf("%s: %d sent: %d received by the old server, %d reported unacknowledged, %d received by the new server; %s; %s",
		tr, sent, len(old.recv), len(unacked), len(freshRecv), downA, downB)
	row.ended(c.Transport())
}
