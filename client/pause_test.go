//go:build !js

package client

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/server"
)

// Pause drops the link and dials nothing until Resume, however long; Resume
// reconnects at once and resumes the session.
func TestPauseHoldsReconnectsUntilResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, links := fakeLinks(4)
		c, ev := dialFake(t, d, nil)
		first := <-links
		c.Pause()
		c.Pause() // twice: still one pause
		synctest.Wait()
		select {
		case <-first.closed:
		default:
			t.Fatal("Pause left the link open")
		}
		dis := ev.waitFor(t, 0, "disconnected", isEvent[DisconnectedEvent]).(DisconnectedEvent)
		if !errors.Is(dis.Cause, ErrPaused) {
			t.Fatalf("disconnect cause %v, want ErrPaused", dis.Cause)
		}
		if err := c.Send(t.Context(), Text("while paused")); err != nil {
			t.Fatalf("Send while paused: %v", err)
		}
		time.Sleep(time.Hour) // fake clock: far past any backoff
		synctest.Wait()
		if n := d.count(); n != 1 || !c.Paused() || c.State() != StateReconnecting {
			t.Fatalf("while paused: %d dials, paused %v, state %v", n, c.Paused(), c.State())
		}
		n := ev.len()
		c.Resume()
		c.Resume() // not paused any more: nothing
		synctest.Wait()
		if d.count() != 2 || c.State() != StateConnected || c.Paused() {
			t.Fatalf("after Resume: %d dials, state %v", d.count(), c.State())
		}
		ce := ev.waitFor(t, n, "connected", isEvent[ConnectedEvent]).(ConnectedEvent)
		if !ce.Resumed {
			t.Fatalf("Resume did not resume the session: %+v", ce)
		}
		<-links
	})
}

// Close while paused ends the client at once.
func TestCloseWhilePaused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &fakeDialer{dial: func(_ context.Context, n int, tr string, a link.Attach) (link.Link, error) {
			return newFakeLink(tr, "s1", a.SID != ""), nil
		}}
		c, _ := dialFake(t, d, nil)
		c.Pause()
		synctest.Wait()
		if err := c.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		if c.State() != StateClosed {
			t.Fatalf("state %v", c.State())
		}
		c.Resume() // after Close: nothing happens
		synctest.Wait()
		if d.count() != 1 {
			t.Fatalf("%d dials after Close", d.count())
		}
	})
}

// Against the real server: messages it sends while the client is paused all
// arrive after Resume, in order, none twice.
func TestPauseResumeKeepsServerMessages(t *testing.T) {
	sessions := make(chan *server.Session, 1)
	r := newRig(t, func(s *server.Session) { sessions <- s; <-s.Context().Done() }, nil, nil)
	ev := newEvents()
	c := mustDial(t, r.url(), r.opts(ev))
	s := <-sessions
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Send(ctx, server.Message{Data: []byte("before")}); err != nil {
		t.Fatal(err)
	}
	if m, err := c.Receive(ctx); err != nil || string(m.Data) != "before" {
		t.Fatalf("before pause: %q %v", m.Data, err)
	}
	c.Pause()
	ev.waitFor(t, 0, "disconnected", isEvent[DisconnectedEvent])
	const n = 300
	for i := range n {
		if err := s.Send(ctx, server.Message{Data: []byte(itoa(i))}); err != nil {
			t.Fatalf("server send %d: %v", i, err)
		}
	}
	from := ev.len()
	c.Resume()
	ev.waitFor(t, from, "resumed", func(e Event) bool { ce, ok := e.(ConnectedEvent); return ok && ce.Resumed })
	for i := range n {
		m, err := c.Receive(ctx)
		if err != nil || string(m.Data) != itoa(i) {
			t.Fatalf("message %d: %q %v", i, m.Data, err)
		}
	}
	if err := s.Send(ctx, server.Message{Data: []byte("after")}); err != nil {
		t.Fatal(err)
	}
	if m, err := c.Receive(ctx); err != nil || string(m.Data) != "after" {
		t.Fatalf("after: %q %v (a duplicate?)", m.Data, err)
	}
}

// NetworkChanged drops a live connection and reconnects at once, resuming;
// while paused it does nothing.
func TestNetworkChangedReconnectsNow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		links := make(chan *fakeLink, 4)
		d := &fakeDialer{dial: func(_ context.Context, n int, tr string, a link.Attach) (link.Link, error) {
			l := newFakeLink(tr, "s1", a.SID != "")
			links <- l
			return l, nil
		}}
		c, ev := dialFake(t, d, func(o *Options) {
			o.InitialBackoff, o.MaxBackoff = time.Hour, time.Hour // only "now" can reconnect
		})
		<-links
		c.NetworkChanged()
		synctest.Wait()
		if d.count() != 2 || c.State() != StateConnected {
			t.Fatalf("after NetworkChanged: %d dials, state %v", d.count(), c.State())
		}
		dis := ev.waitFor(t, 0, "disconnected", isEvent[DisconnectedEvent]).(DisconnectedEvent)
		if !errors.Is(dis.Cause, ErrNetworkChanged) {
			t.Fatalf("cause %v", dis.Cause)
		}
		<-links
		c.Pause()
		synctest.Wait()
		c.NetworkChanged()
		synctest.Wait()
		if d.count() != 2 || !c.Paused() {
			t.Fatalf("NetworkChanged while paused dialed: %d", d.count())
		}
	})
}
