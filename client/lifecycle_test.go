//go:build !js

package client

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

const fakeURL = "wss://fake.test/live"

func isEvent[T Event](e Event) bool { _, ok := e.(T); return ok }

// A server going away (a close frame with 1001, as Handler.Shutdown sends)
// makes the client reconnect and resume, not stop.
func TestGoingAwayReconnects(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, links := fakeLinks(4)
		c, ev := dialFake(t, d, nil)
		first := <-links
		first.push(wire.Frame{Kind: wire.KindClose, Close: &wire.Close{Code: wire.CloseGoingAway, Reason: "server shutting down"}})
		second := <-links
		synctest.Wait()
		if c.State() != StateConnected {
			t.Fatalf("state %v after the server went away", c.State())
		}
		got := ev.waitFor(t, 0, "connected again", func(e Event) bool { ce, ok := e.(ConnectedEvent); return ok && ce.Resumed }).(ConnectedEvent)
		_ = got
		dis := ev.waitFor(t, 0, "disconnected", isEvent[DisconnectedEvent]).(DisconnectedEvent)
		var ce *CloseError
		if !errors.As(dis.Cause, &ce) || ce.Code != CloseGoingAway || !ce.Code.Reconnect() || errors.Is(dis.Cause, ErrClosed) {
			t.Fatalf("disconnect cause %v", dis.Cause)
		}
		for _, e := range ev.snapshot() {
			if isEvent[ClosedEvent](e) {
				t.Fatalf("closed after 1001: %v", ev.snapshot())
			}
		}
		// A final code still ends the client.
		second.push(wire.Frame{Kind: wire.KindClose, Close: &wire.Close{Code: wire.ClosePolicy, Reason: "banned"}})
		closed := ev.waitFor(t, 0, "closed", isEvent[ClosedEvent]).(ClosedEvent)
		if !errors.As(closed.Err, &ce) || ce.Code != ClosePolicy || ce.Code.Reconnect() || !errors.Is(closed.Err, ErrClosed) {
			t.Fatalf("closed with %v", closed.Err)
		}
		if _, err := c.Receive(t.Context()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Receive: %v", err)
		}
		c.Close(t.Context())
	})
}

func TestCloseCodes(t *testing.T) {
	for code, want := range map[CloseCode]bool{
		CloseNormal: false, CloseGoingAway: true, CloseProtocolError: true, ClosePolicy: false, CloseTooBig: false,
		CloseInternal: true, CloseServiceRestart: true, CloseTryAgainLater: true, 4000: false, 4999: false,
	} {
		if code.Reconnect() != want {
			t.Errorf("%v.Reconnect() = %v", code, !want)
		}
	}
}

// A server that accepts and never answers: each attempt ends at
// ConnectTimeout whatever the caller's context, and Dial lists them all.
func TestSilentServerGivesConnectError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &fakeDialer{dial: silent}
		start := time.Now()
		_, err := Dial(context.Background(), fakeURL, fakeOpts(d, newEvents()))
		var ce *ConnectError
		if !errors.As(err, &ce) || len(ce.Attempts) != 3 {
			t.Fatalf("got %v, want a ConnectError with 3 attempts", err)
		}
		if errors.Is(err, context.DeadlineExceeded) || transport.Classify(err) != transport.ClassNetwork {
			t.Fatalf("an attempt's own timeout is not the caller's: %v (class %v)", err, transport.Classify(err))
		}
		if !strings.Contains(err.Error(), "no answer in time") {
			t.Fatalf("message %q", err)
		}
		// Bounded by the attempts (SSE started RaceDelay after WebSocket,
		// long-polling RaceDelay after SSE), not by ctx.
		if took := time.Since(start); took != 2*DefaultRaceDelay+DefaultConnectTimeout {
			t.Fatalf("took %v (fake clock)", took)
		}
	})
}

// The caller's context ending first: the attempts still running are listed
// with its error, classed canceled.
func TestDialContextEndsIsCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &fakeDialer{dial: silent}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_, err := Dial(ctx, fakeURL, fakeOpts(d, newEvents()))
		var ce *ConnectError
		if !errors.As(err, &ce) || len(ce.Attempts) != 3 || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want a ConnectError with 3 attempts (raced) ended by ctx", err)
		}
		if transport.Classify(err) != transport.ClassCanceled {
			t.Fatalf("class %v", transport.Classify(err))
		}
		if transport.Classify(context.Canceled) != transport.ClassCanceled || transport.Classify(context.DeadlineExceeded) != transport.ClassCanceled {
			t.Fatal("context errors are not ClassCanceled")
		}
	})
}

// With RetryOnFailedConnect, Dial returns a reconnecting client that gets
// there in the background; Send queues meanwhile.
func TestRetryOnFailedConnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var up *fakeLink
		d := &fakeDialer{dial: func(_ context.Context, n int, tr string, a link.Attach) (link.Link, error) {
			if n <= 6 { // two connects of three transports fail
				return nil, errors.New("connection refused")
			}
			up = newFakeLink(tr, "s1", false)
			return up, nil
		}}
		c, ev := dialFake(t, d, func(o *Options) {
			o.RetryOnFailedConnect = true
		})
		if c.State() != StateReconnecting {
			t.Fatalf("state %v", c.State())
		}
		if err := c.Send(t.Context(), Text("early")); err != nil {
			t.Fatal(err)
		}
		ev.waitFor(t, 0, "connected", isEvent[ConnectedEvent])
		synctest.Wait()
		up.mu.Lock()
		sent := up.sent
		up.mu.Unlock()
		if len(sent) == 0 || string(sent[0].Data) != "early" {
			t.Fatalf("queued message not sent: %+v", sent)
		}
		c.Close(t.Context())
	})
	// A permanent failure is still returned at once.
	synctest.Test(t, func(t *testing.T) {
		d := &fakeDialer{dial: func(context.Context, int, string, link.Attach) (link.Link, error) {
			return nil, &transport.ConfigError{Field: "x", Err: errors.New("bad")}
		}}
		o := fakeOpts(d, newEvents())
		o.RetryOnFailedConnect = true
		if _, err := Dial(t.Context(), fakeURL, o); transport.Classify(err) != transport.ClassConfig {
			t.Fatalf("got %v", err)
		}
	})
}

// A first connect answered 429 too_many_sessions with retry waits as asked
// and tries again, instead of failing.
func TestFirstConnectHonoursRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &fakeDialer{dial: func(_ context.Context, n int, tr string, a link.Attach) (link.Link, error) {
			if n == 1 {
				return nil, &link.ServerError{Transport: tr, Answer: wire.Error{Code: wire.CodeTooManySessions, Message: "session limit reached", Status: 429, Retry: 2000}}
			}
			return newFakeLink(tr, "s1", false), nil
		}}
		_, ev := dialFake(t, d, nil)
		if d.count() != 2 {
			t.Fatalf("%d dials", d.count())
		}
		re := ev.waitFor(t, 0, "reconnecting", isEvent[ReconnectingEvent]).(ReconnectingEvent)
		var se *ServerError
		if re.Delay != 2*time.Second || !errors.As(re.Cause, &se) || se.Code != CodeTooManySessions || se.Retry != 2*time.Second {
			t.Fatalf("waited %v for %v", re.Delay, re.Cause)
		}
	})
}

// Dial returns after its ConnectedEvent was delivered; Close after the
// ClosedEvent, even with a slow handler.
func TestEventsAroundDialAndClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &fakeDialer{dial: func(_ context.Context, _ int, tr string, _ link.Attach) (link.Link, error) {
			return newFakeLink(tr, "s1", false), nil
		}}
		ev := newEvents()
		o := fakeOpts(d, ev)
		o.OnEvent = func(e Event) {
			time.Sleep(time.Second) // a slow handler
			ev.add(e)
		}
		c, err := Dial(t.Context(), fakeURL, o)
		if err != nil {
			t.Fatal(err)
		}
		if got := ev.snapshot(); len(got) != 2 || !isEvent[ConnectingEvent](got[0]) || !isEvent[ConnectedEvent](got[1]) {
			t.Fatalf("events when Dial returned: %v", got)
		}
		if err := c.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		got := ev.snapshot()
		if len(got) != 3 || !isEvent[ClosedEvent](got[2]) || got[2].(ClosedEvent).Err != nil {
			t.Fatalf("events when Close returned: %v", got)
		}
		if err := c.Close(t.Context()); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	})
	// A failed Dial returns after its ClosedEvent.
	synctest.Test(t, func(t *testing.T) {
		d := &fakeDialer{dial: func(context.Context, int, string, link.Attach) (link.Link, error) {
			return nil, errors.New("connection refused")
		}}
		ev := newEvents()
		o := fakeOpts(d, ev)
		o.OnEvent = func(e Event) { time.Sleep(time.Second); ev.add(e) }
		if _, err := Dial(t.Context(), fakeURL, o); err == nil {
			t.Fatal("Dial succeeded")
		}
		if got := ev.snapshot(); len(got) == 0 || !isEvent[ClosedEvent](got[len(got)-1]) {
			t.Fatalf("events when Dial returned: %v", got)
		}
	})
	// Close bounded by its ctx when a handler blocks.
	synctest.Test(t, func(t *testing.T) {
		d := &fakeDialer{dial: func(_ context.Context, _ int, tr string, _ link.Attach) (link.Link, error) {
			return newFakeLink(tr, "s1", false), nil
		}}
		release := make(chan struct{})
		o := fakeOpts(d, newEvents())
		o.OnEvent = func(e Event) {
			if isEvent[ClosedEvent](e) {
				<-release
			}
		}
		c, err := Dial(t.Context(), fakeURL, o)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := c.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Close with a blocked handler: %v", err)
		}
		close(release)
	})
}

// A session lost on reconnect reaches Receive once, between the old
// session's messages and the new one's.
func TestSessionLostReachesReceive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		links := make(chan *fakeLink, 4)
		d := &fakeDialer{dial: func(_ context.Context, n int, tr string, a link.Attach) (link.Link, error) {
			if a.SID == "s1" {
				return nil, &link.ServerError{Transport: tr, Answer: wire.Error{Code: wire.CodeSessionNotFound, Message: "no such session", Status: 410}}
			}
			l := newFakeLink(tr, "s"+string(rune('0'+n)), false)
			links <- l
			return l, nil
		}}
		c, ev := dialFake(t, d, nil)
		old := <-links
		old.push(wire.Frame{Kind: wire.KindText, Seq: 1, Data: []byte("old")})
		synctest.Wait()
		c.Send(t.Context(), Text("unacked"))
		flushed := make(chan error, 1)
		go func() { flushed <- c.Flush(t.Context()) }()
		synctest.Wait()
		old.Close() // the connection breaks; the server restarts
		if err := <-flushed; !errors.Is(err, ErrSessionLost) {
			t.Fatalf("Flush across the loss: %v", err)
		}
		nw := <-links
		nw.push(wire.Frame{Kind: wire.KindText, Seq: 1, Data: []byte("new")})
		var got []string
		for range 3 {
			m, err := c.Receive(t.Context())
			switch {
			case err == nil:
				got = append(got, string(m.Data))
			case errors.Is(err, ErrSessionLost):
				var sl *SessionLostError
				if !errors.As(err, &sl) || sl.Unacknowledged != 1 || !strings.Contains(err.Error(), "1 message(s) sent were not acknowledged") {
					t.Fatalf("loss: %v", err)
				}
				var se *ServerError
				if !errors.As(err, &se) || se.Code != CodeSessionNotFound {
					t.Fatalf("loss without the server's answer: %v", err)
				}
				got = append(got, "LOST")
			default:
				t.Fatal(err)
			}
		}
		if strings.Join(got, ",") != "old,LOST,new" {
			t.Fatalf("Receive gave %v", got)
		}
		lost := ev.waitFor(t, 0, "session lost", isEvent[SessionLostEvent]).(SessionLostEvent)
		if !errors.Is(lost.Cause, ErrSessionLost) || len(lost.Unacknowledged) != 1 {
			t.Fatalf("event %+v", lost)
		}
		c.Close(t.Context())
	})
}

// Causes are short and carry no session id or key.
func TestCausesAreShortAndScrubbed(t *testing.T) {
	long := `Get "https://h.example/live?room=1&tether=sse&tether_sid=q3Vb0xWk7c9rJm2TtQH1Aw&tether_key=Zp4rD0nYc1mE7uVh9sKxLg&tether_ack=3": ` + strings.Repeat("x", 1000)
	e := &transportError{Transport: "sse", Err: errors.New(long)}
	s := e.Error()
	if strings.Contains(s, "q3Vb0x") || strings.Contains(s, "Zp4rD0") || len(s) > 400 {
		t.Fatalf("%d bytes: %q", len(s), s)
	}
	if !strings.Contains(s, "room=1") {
		t.Fatalf("the application's query is gone: %q", s)
	}
	ce := &ConnectError{Attempts: []Attempt{{Transport: "websocket", Err: errors.New(long)}, {Transport: "sse", Err: e}}}
	if s := ce.Error(); strings.Contains(s, "q3Vb0x") || len(s) > 2*maxCause+200 {
		t.Fatalf("%d bytes: %q", len(s), s)
	}
}

func TestConnectErrorClass(t *testing.T) {
	refused := &transport.HandshakeError{Transport: "websocket", StatusCode: 400, Class: transport.ClassRefused}
	server := &ServerError{Code: CodeInternal, Status: 500}
	for _, c := range []struct {
		errs []error
		want transport.Class
	}{
		{[]error{refused, refused}, transport.ClassRefused},
		{[]error{server, refused}, transport.ClassNetwork},
		{[]error{server, context.DeadlineExceeded}, transport.ClassCanceled},
		{[]error{refused, context.Canceled}, transport.ClassCanceled},
	} {
		ce := &ConnectError{}
		for _, err := range c.errs {
			ce.Attempts = append(ce.Attempts, Attempt{Transport: "x", Err: err})
		}
		if got := transport.Classify(ce); got != c.want {
			t.Errorf("%v: class %v, want %v", c.errs, got, c.want)
		}
	}
}
