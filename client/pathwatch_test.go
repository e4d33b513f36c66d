//go:build !js

package client

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// pathServer plays one session's server for the fake links: it takes the
// client's data in order (seq recv+1 only: a gap or a reorder is an error),
// acks it after ackDelay, answers pings, and resumes the session on a
// fresh attach (welcome ack = its recv). A frozen link swallows everything
// and answers nothing, with no error: a frozen NAT.
type pathServer struct {
	t        *testing.T
	ackDelay time.Duration

	mu    sync.Mutex
	recv  uint64
	got   []string
	links []*pathLink
	dups  int
}

type pathLink struct {
	*fakeLink
	s      *pathServer
	frozen bool // guarded by s.mu
	block  bool // a frozen Send blocks (an HTTP request that never gets its answer)
	pings  int
}

func (s *pathServer) dial(_ context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, old := range s.links {
		old.frozen = true // superseded: the server no longer writes to it (and it may be dead anyway)
	}
	l := &pathLink{fakeLink: newFakeLink(tr, "s1", a.SID != ""), s: s, block: tr != wire.TransportWebSocket}
	l.welcome.Ack = s.recv
	s.links = append(s.links, l)
	return l, nil
}

func (s *pathServer) freeze(i int) {
	s.mu.Lock()
	s.links[i].frozen = true
	s.mu.Unlock()
}

func (l *pathLink) Send(ctx context.Context, frames []wire.Frame) error {
	l.s.mu.Lock()
	frozen := l.frozen
	l.s.mu.Unlock()
	if frozen {
		if l.block {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-l.closed:
				return fmt.Errorf("frozen request: %w", context.Canceled)
			}
		}
		return nil
	}
	var answer []wire.Frame
	l.s.mu.Lock()
	for _, f := range frames {
		switch f.Kind {
		case wire.KindText, wire.KindBinary:
			switch {
			case f.Seq <= l.s.recv:
				l.s.dups++ // a replay the server drops (not delivered twice)
			case f.Seq == l.s.recv+1:
				l.s.recv = f.Seq
				l.s.got = append(l.s.got, string(f.Data))
			default:
				l.s.t.Errorf("gap: seq %d after %d", f.Seq, l.s.recv)
			}
			answer = []wire.Frame{{Kind: wire.KindAck, Seq: l.s.recv}}
		case wire.KindPing:
			l.pings++
			answer = append(answer, wire.Frame{Kind: wire.KindPong, Seq: l.s.recv})
		case wire.KindClose:
			answer = append(answer, wire.Frame{Kind: wire.KindClose, Close: &wire.Close{Code: wire.CloseNormal}})
		}
	}
	delay := l.s.ackDelay
	l.s.mu.Unlock()
	if len(answer) > 0 {
		go func() {
			time.Sleep(delay)
			l.s.mu.Lock()
			frozen := l.frozen
			l.s.mu.Unlock()
			if frozen {
				return
			}
			select {
			case l.in <- answer[0]:
			case <-l.closed:
				return
			}
			for _, f := range answer[1:] {
				select {
				case l.in <- f:
				case <-l.closed:
					return
				}
			}
		}()
	}
	return nil
}

// A link that goes silent while messages are in flight is probed within
// the bound and the session moves to a fresh connection of the same
// transport, with every message delivered once, in order, on each
// transport.
func TestPathSilentInFlightMovesSession(t *testing.T) {
	for _, tr := range []string{TransportWebSocket, TransportSSE, TransportLongPoll} {
		t.Run(tr, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := &pathServer{t: t, ackDelay: 20 * time.Millisecond}
				d := &fakeDialer{dial: s.dial}
				ev := newEvents()
				o := fakeOpts(d, ev)
				o.Transports = []string{tr}
				var silentAt time.Time
				o.OnEvent = func(e Event) {
					if _, ok := e.(PathSilentEvent); ok && silentAt.IsZero() {
						silentAt = time.Now()
					}
					ev.add(e)
				}
				c, err := Dial(t.Context(), fakeURL, o)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close(context.Background())
				const n, freezeAt = 100, 30
				var frozenAt time.Time
				for i := 1; i <= n; i++ {
					if i == freezeAt {
						s.freeze(0)
						frozenAt = time.Now()
					}
					if err := c.Send(t.Context(), Text(fmt.Sprintf("m%d", i))); err != nil {
						t.Fatal(err)
					}
					time.Sleep(100 * time.Millisecond)
				}
				if err := c.Flush(t.Context()); err != nil {
					t.Fatal(err)
				}
				ps := ev.waitFor(t, 0, "path silent", isEvent[PathSilentEvent]).(PathSilentEvent)
				if ps.Transport != tr || !ps.Probing || ps.Silent < DefaultAckTimeout || ps.Silent > DefaultAckTimeout+time.Second {
					t.Fatalf("event %+v, want %s probing after about %v", ps, tr, DefaultAckTimeout)
				}
				ce := ev.waitFor(t, 1, "resumed", func(e Event) bool {
					ce, ok := e.(ConnectedEvent)
					return ok && ce.Resumed
				}).(ConnectedEvent)
				if ce.Transport != tr {
					t.Fatalf("moved to %s, want %s", ce.Transport, tr)
				}
				s.mu.Lock()
				defer s.mu.Unlock()
				if len(s.links) != 2 {
					t.Fatalf("%d links dialed, want 2 (the first and the fresh one)", len(s.links))
				}
				if len(s.got) != n {
					t.Fatalf("server got %d messages, want %d", len(s.got), n)
				}
				for i, m := range s.got {
					if m != fmt.Sprintf("m%d", i+1) {
						t.Fatalf("message %d is %q", i+1, m)
					}
				}
				// Fake clock: the probe started within the bound of the
				// freeze (the first unacked message was sent at the freeze).
				if d := silentAt.Sub(frozenAt); d < DefaultAckTimeout || d > DefaultAckTimeout+100*time.Millisecond {
					t.Fatalf("probe %v after the freeze, want %v", d, DefaultAckTimeout)
				}
				for _, e := range ev.snapshot() {
					if _, ok := e.(DisconnectedEvent); ok {
						t.Fatalf("%#v: the session should have moved without a disconnect", e)
					}
				}
			})
		})
	}
}

// An idle link that freezes is found by the client's heartbeat
// (Options.Heartbeat): a ping, its pong overdue by the bound, a probe; with
// no Heartbeat the client does not ping and does not probe an idle link.
func TestPathSilentIdleHeartbeat(t *testing.T) {
	for _, hb := range []time.Duration{0, 10 * time.Second} {
		t.Run(fmt.Sprint(hb), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := &pathServer{t: t}
				d := &fakeDialer{dial: s.dial}
				ev := newEvents()
				o := fakeOpts(d, ev)
				o.Heartbeat = hb
				var silentAt time.Time
				o.OnEvent = func(e Event) {
					if _, ok := e.(PathSilentEvent); ok && silentAt.IsZero() {
						silentAt = time.Now()
					}
					ev.add(e)
				}
				c, err := Dial(t.Context(), fakeURL, o)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close(context.Background())
				start := time.Now()
				time.Sleep(5 * time.Second) // alive: pings answered, nothing probed
				synctest.Wait()
				s.mu.Lock()
				pings := s.links[0].pings
				s.mu.Unlock()
				if pings != 0 || !silentAt.IsZero() {
					t.Fatalf("after 5 s idle: %d pings, probed %v", pings, !silentAt.IsZero())
				}
				time.Sleep(6 * time.Second) // 11 s: one ping if hb is 10 s
				synctest.Wait()
				s.mu.Lock()
				pings = s.links[0].pings
				s.mu.Unlock()
				if want := min(int(hb/(10*time.Second)), 1); pings != want {
					t.Fatalf("%d pings after 11 s, want %d", pings, want)
				}
				s.freeze(0)
				frozenAt := time.Now()
				time.Sleep(time.Minute)
				synctest.Wait()
				if hb == 0 {
					if !silentAt.IsZero() || d.count() != 1 {
						t.Fatalf("no heartbeat: probed %v, %d dials", !silentAt.IsZero(), d.count())
					}
					return
				}
				// Frozen at 11 s, ping due at 20 s, pong overdue at 23 s.
				if got, want := silentAt.Sub(frozenAt), 2*hb+DefaultAckTimeout-frozenAt.Sub(start); got != want {
					t.Fatalf("probed %v after the freeze, want %v", got, want)
				}
				if d.count() != 2 || c.State() != StateConnected {
					t.Fatalf("%d dials, state %v: want the session moved to a second link", d.count(), c.State())
				}
			})
		})
	}
}

// A slow but alive link, whose acks come late but within the bound, is
// not probed.
func TestPathSlowButAliveNotProbed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &pathServer{t: t, ackDelay: DefaultAckTimeout - 500*time.Millisecond}
		d := &fakeDialer{dial: s.dial}
		ev := newEvents()
		c, err := Dial(t.Context(), fakeURL, fakeOpts(d, ev))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		for i := 1; i <= 300; i++ {
			if err := c.Send(t.Context(), Text(fmt.Sprintf("m%d", i))); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err := c.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		for _, e := range ev.snapshot() {
			if _, ok := e.(PathSilentEvent); ok {
				t.Fatalf("%#v on a slow but alive link", e)
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if d.count() != 1 || len(s.got) != 300 {
			t.Fatalf("%d dials, %d messages", d.count(), len(s.got))
		}
	})
}
