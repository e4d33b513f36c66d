//go:build !js

package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// The client-side rules of PROTOCOL.md where time matters, against fake
// links in a testing/synctest bubble (real sockets are not durably
// blocking). The table of every client-side rule is in must_test.go.

// refused is a WebSocket upgrade refused by the network (next transport).
func refused(tr string) error {
	return &transport.HandshakeError{Transport: tr, Class: transport.ClassRefused, Err: errors.New("upgrade stripped")}
}

// dialLog records when each transport was dialed, and whether as a probe.
type dialLog struct {
	mu    sync.Mutex
	start time.Time
	dials []string // "websocket@30s", "probe@45s", ...
	times []time.Duration
}

func (d *dialLog) add(tr string, a link.Attach) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a.Probe {
		tr = "probe"
	}
	at := time.Since(d.start)
	d.dials = append(d.dials, fmt.Sprintf("%s@%v", tr, at))
	d.times = append(d.times, at)
}

func (d *dialLog) snapshot() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.dials)
}

// 8.1, 14: SSE's first-event window is FirstEventWait (3 s) after the
// request was written; the slow timer (2.5 s) must not start long-polling
// in parallel before it runs out. Before: long-polling started at 2.5 s and
// won over an SSE welcome arriving at 2.8 s.
func TestMustSSEFirstEventWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &dialLog{start: time.Now()}
		d := &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
			log.add(tr, a)
			switch tr {
			case wire.TransportWebSocket:
				return nil, refused(tr)
			case wire.TransportSSE:
				time.Sleep(2800 * time.Millisecond) // a slow but working stream
				return newFakeLink(tr, "s1", false), nil
			}
			return newFakeLink(tr, "s1", false), nil
		}}
		c, err := Dial(t.Context(), fakeURL, fakeOpts(d, newEvents()))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(t.Context())
		if c.Transport() != wire.TransportSSE {
			t.Fatalf("on %s; dials %v", c.Transport(), log.snapshot())
		}
	})
	// SSE that gives up at its window hands over to long-polling at once.
	synctest.Test(t, func(t *testing.T) {
		log := &dialLog{start: time.Now()}
		d := &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
			log.add(tr, a)
			switch tr {
			case wire.TransportWebSocket:
				return nil, refused(tr)
			case wire.TransportSSE:
				time.Sleep(DefaultFirstEventWait)
				return nil, &transport.HandshakeError{Transport: tr, Class: transport.ClassRefused, Err: errors.New("no first event")}
			}
			return newFakeLink(tr, "s1", false), nil
		}}
		c, err := Dial(t.Context(), fakeURL, fakeOpts(d, newEvents()))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(t.Context())
		if got := log.snapshot(); !slices.Equal(got, []string{"websocket@0s", "sse@0s", "longpoll@3s"}) {
			t.Fatalf("dials %v", got)
		}
	})
}

// 10, 14: probes back to WebSocket come ProbeInterval (30 s) doubling to
// 5 minutes apart, each wait drawn from [step/2, step]. Before: the first
// came after 2.5-7.5 s.
func TestMustProbeSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &dialLog{start: time.Now()}
		var failedAt []time.Duration
		d := &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
			log.add(tr, a)
			if tr == wire.TransportWebSocket {
				if a.Probe {
					failedAt = append(failedAt, time.Since(log.start))
				}
				return nil, refused(tr)
			}
			return newFakeLink(tr, "s1", false), nil
		}}
		o := fakeOpts(d, newEvents())
		o.ProbeInterval = 0 // the default
		c, err := Dial(t.Context(), fakeURL, o)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(t.Context())
		time.Sleep(20 * time.Minute)
		synctest.Wait()
		if len(failedAt) < 6 {
			t.Fatalf("%d probes in 20 minutes: %v", len(failedAt), log.snapshot())
		}
		prev := time.Duration(0)
		for i, at := range failedAt {
			step := min(30*time.Second<<i, 5*time.Minute)
			if wait := at - prev; wait < step/2 || wait > step {
				t.Errorf("probe %d after %v, want within [%v, %v]; dials %v", i+1, wait, step/2, step, log.snapshot())
			}
			prev = at
		}
	})
}

// 5.2, 10: no probe, and no reconnect, over a transport the welcome leaves
// out of transports.
func TestMustUseOnlyOfferedTransports(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &dialLog{start: time.Now()}
		links := make(chan *fakeLink, 8)
		d := &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
			log.add(tr, a)
			if tr == wire.TransportWebSocket {
				return nil, refused(tr)
			}
			l := newFakeLink(tr, "s1", a.SID != "")
			l.welcome.Transports = []string{wire.TransportSSE, wire.TransportPoll}
			links <- l
			return l, nil
		}}
		o := fakeOpts(d, newEvents())
		o.ProbeInterval = time.Second
		c, err := Dial(t.Context(), fakeURL, o)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(t.Context())
		time.Sleep(10 * time.Minute)
		(<-links).Close() // the SSE connection drops: resume
		synctest.Wait()
		time.Sleep(time.Minute)
		for _, dl := range log.snapshot()[2:] {
			if dl[:3] != "sse" {
				t.Fatalf("used a transport the welcome did not offer: %v", log.snapshot())
			}
		}
	})
}

// 13: after transport_disabled for WebSocket, the client neither probes
// nor reconnects over it for the session's life; a new session (after
// session_not_found) goes by its own welcome and tries it again. Before:
// the client probed WebSocket again and again.
func TestMustTransportDisabledSticks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &dialLog{start: time.Now()}
		links := make(chan *fakeLink, 8)
		var lose atomic.Bool
		d := &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
			log.add(tr, a)
			if tr == wire.TransportWebSocket {
				return nil, &link.ServerError{Transport: tr, Answer: wire.Error{Code: wire.CodeTransportDisabled, Message: "websocket is disabled", Status: 404}}
			}
			if lose.Load() && a.SID != "" {
				return nil, &link.ServerError{Transport: tr, Answer: wire.Error{Code: wire.CodeSessionNotFound, Status: 410}}
			}
			l := newFakeLink(tr, "s1", a.SID != "")
			links <- l
			return l, nil
		}}
		o := fakeOpts(d, newEvents())
		o.ProbeInterval = time.Second
		c, err := Dial(t.Context(), fakeURL, o)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(t.Context())
		time.Sleep(10 * time.Minute)
		(<-links).Close()
		synctest.Wait()
		time.Sleep(time.Minute)
		got := log.snapshot()
		for _, dl := range got[1:] {
			if dl[:3] != "sse" {
				t.Fatalf("used WebSocket again after transport_disabled: %v", got)
			}
		}
		// A new session starts from its own welcome.
		n := len(got)
		lose.Store(true)
		(<-links).Close()
		synctest.Wait()
		time.Sleep(time.Minute)
		got = log.snapshot()
		if !slices.ContainsFunc(got[n:], func(s string) bool { return s[:5] == "probe" || s[:9] == "websocket" }) {
			t.Fatalf("the new session did not try WebSocket again: %v", got[n:])
		}
	})
}

// 14: the reconnect backoff (0.5 s doubling to 30 s, full jitter) and the
// attempt count continue across connections that drop before HealthyAfter
// (30 s), and start again after a healthy one. Before: every drop logged
// attempt=1 while the delays kept growing.
func TestMustBackoffUntilHealthy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		links := make(chan *fakeLink, 16)
		d := &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
			l := newFakeLink(tr, "s1", a.SID != "")
			links <- l
			return l, nil
		}}
		ev := newEvents()
		c, err := Dial(t.Context(), fakeURL, fakeOpts(d, ev))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(t.Context())
		var attempts []int
		drop := func() ReconnectingEvent {
			from := ev.len()
			(<-links).Close()
			synctest.Wait()
			re := ev.waitFor(t, from, "reconnecting", isEvent[ReconnectingEvent]).(ReconnectingEvent)
			attempts = append(attempts, re.Attempt)
			step := DefaultInitialBackoff << (re.Attempt - 1)
			if re.Delay > min(step, DefaultMaxBackoff) {
				t.Errorf("attempt %d waited %v, over its step %v", re.Attempt, re.Delay, step)
			}
			time.Sleep(re.Delay)
			synctest.Wait()
			return re
		}
		for range 4 {
			drop() // each connection lives a moment only
		}
		time.Sleep(DefaultHealthyAfter) // a healthy connection
		drop()
		if !slices.Equal(attempts, []int{1, 2, 3, 4, 1}) {
			t.Fatalf("attempts %v, want 1 2 3 4 then 1 after a healthy connection", attempts)
		}
	})
}

// 13: the client actions apply to the first connect too: a cut (the server
// was reached and the connection broke) on every transport is waited out
// with backoff and tried again, not the end of Dial. Before: Dial failed.
func TestMustFirstConnectCutRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &fakeDialer{dial: func(ctx context.Context, n int, tr string, a link.Attach) (link.Link, error) {
			if n <= 3 {
				return nil, fmt.Errorf("%s: the stream ended before its first event: %w", tr, io.ErrUnexpectedEOF)
			}
			return newFakeLink(tr, "s1", false), nil
		}}
		ev := newEvents()
		c, err := Dial(t.Context(), fakeURL, fakeOpts(d, ev))
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		defer c.Close(t.Context())
		ev.waitFor(t, 0, "reconnecting", isEvent[ReconnectingEvent])
	})
	// Bounded: a server that always cuts fails Dial after 5 attempts.
	synctest.Test(t, func(t *testing.T) {
		d := &fakeDialer{dial: func(ctx context.Context, n int, tr string, a link.Attach) (link.Link, error) {
			return nil, fmt.Errorf("%s: %w", tr, io.ErrUnexpectedEOF)
		}}
		if _, err := Dial(t.Context(), fakeURL, fakeOpts(d, newEvents())); err == nil {
			t.Fatal("Dial succeeded")
		}
		if d.count() != 3*firstConnectCutAttempts {
			t.Fatalf("%d dials, want %d", d.count(), 3*firstConnectCutAttempts)
		}
	})
}

// sentKinds lists the kinds of the frames the client sent on l.
func sentKinds(l *fakeLink) []wire.Kind {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ks []wire.Kind
	for _, f := range l.sent {
		ks = append(ks, f.Kind)
	}
	return ks
}

// 12: a final c from the server is answered with the client's own c (after
// its ack, and no data); a c meaning "come back later" (1001, 1011, 1012,
// 1013) is not answered: the client resumes. Before: no answer, the server
// waited its 5 s.
func TestMustAnswerFinalClose(t *testing.T) {
	for _, code := range []int{1000, 1008, 1009, 4000} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				links := make(chan *fakeLink, 4)
				d := &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
					l := newFakeLink(tr, "s1", a.SID != "")
					links <- l
					return l, nil
				}}
				ev := newEvents()
				c, err := Dial(t.Context(), fakeURL, fakeOpts(d, ev))
				if err != nil {
					t.Fatal(err)
				}
				l := <-links
				synctest.Wait()
				c.Send(t.Context(), Text("unacked")) // must not follow the answer
				synctest.Wait()
				l.push(text(1, "last words"))
				l.push(closeFrame(code, "over"))
				ev.waitFor(t, 0, "closed", isEvent[ClosedEvent])
				got := sentKinds(l)
				if n := len(got); n < 2 || got[n-2] != wire.KindAck || got[n-1] != wire.KindClose {
					t.Fatalf("client sent %v, want its ack then its c last", got)
				}
				l.mu.Lock()
				last := l.sent[len(l.sent)-2:]
				l.mu.Unlock()
				if last[0].Seq != 1 || last[1].Close.Code != wire.CloseNormal {
					t.Fatalf("answer %+v %+v", last[0], *last[1].Close)
				}
				if m, err := c.Receive(t.Context()); err != nil || string(m.Data) != "last words" {
					t.Fatalf("the data before c: %q %v", m.Data, err)
				}
				c.Close(t.Context())
			})
		})
	}
	for _, code := range []int{1001, 1011, 1012, 1013} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				links := make(chan *fakeLink, 4)
				d := &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
					l := newFakeLink(tr, "s1", a.SID != "")
					links <- l
					return l, nil
				}}
				c, err := Dial(t.Context(), fakeURL, fakeOpts(d, newEvents()))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close(t.Context())
				l := <-links
				l.push(closeFrame(code, "restarting"))
				<-links // resumed
				if slices.Contains(sentKinds(l), wire.KindClose) {
					t.Fatalf("answered a %d close: %v", code, sentKinds(l))
				}
			})
		})
	}
}

// 4.4: an ack above what the client sent means one side lost track: the
// session ends (no resume). Stale acks are ignored.
func TestMustEndOnAckNeverSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		links := make(chan *fakeLink, 4)
		d := &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
			l := newFakeLink(tr, "s1", a.SID != "")
			links <- l
			return l, nil
		}}
		ev := newEvents()
		c, err := Dial(t.Context(), fakeURL, fakeOpts(d, ev))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(t.Context())
		l := <-links
		c.Send(t.Context(), Text("one"))
		c.Send(t.Context(), Text("two"))
		synctest.Wait()
		l.push(wire.Frame{Kind: wire.KindAck, Seq: 2})
		l.push(wire.Frame{Kind: wire.KindAck, Seq: 1}) // stale: ignored
		synctest.Wait()
		if c.State() != StateConnected {
			t.Fatalf("state %v after a stale ack", c.State())
		}
		l.push(wire.Frame{Kind: wire.KindAck, Seq: 5})
		closed := ev.waitFor(t, 0, "closed", isEvent[ClosedEvent]).(ClosedEvent)
		var pe *ProtocolError
		if !errors.As(closed.Err, &pe) {
			t.Fatalf("closed with %v", closed.Err)
		}
		if d.count() != 1 {
			t.Fatalf("%d dials: the client resumed", d.count())
		}
	})
}

// 4.6: an s on the active connection (the client attached nowhere else
// after it, or a connection of its own parallel connect attached late)
// makes the client resume at once, without backoff.
func TestMustSupersededResumesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		links := make(chan *fakeLink, 4)
		d := &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
			l := newFakeLink(tr, "s1", a.SID != "")
			links <- l
			return l, nil
		}}
		ev := newEvents()
		c, err := Dial(t.Context(), fakeURL, fakeOpts(d, ev))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(t.Context())
		(<-links).push(wire.Frame{Kind: wire.KindSuperseded})
		re := ev.waitFor(t, 0, "reconnecting", isEvent[ReconnectingEvent]).(ReconnectingEvent)
		if re.Delay != 0 {
			t.Fatalf("waited %v after s", re.Delay)
		}
		<-links
	})
}

// 13: a 503 with retry while reconnecting is waited out (retry, else
// Retry-After), then the client resumes.
func TestMustWaitRetryOn503(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		links := make(chan *fakeLink, 4)
		d := &fakeDialer{dial: func(ctx context.Context, n int, tr string, a link.Attach) (link.Link, error) {
			if n == 2 {
				return nil, &link.ServerError{Transport: tr, Answer: wire.Error{Code: wire.CodeInternal, Status: 503, Retry: 7000}}
			}
			l := newFakeLink(tr, "s1", a.SID != "")
			links <- l
			return l, nil
		}}
		ev := newEvents()
		c, err := Dial(t.Context(), fakeURL, fakeOpts(d, ev))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(t.Context())
		(<-links).Close()
		<-links
		var delays []time.Duration
		for _, e := range ev.snapshot() {
			if re, ok := e.(ReconnectingEvent); ok {
				delays = append(delays, re.Delay)
			}
		}
		if len(delays) != 2 || delays[1] < 7*time.Second {
			t.Fatalf("reconnect delays %v, want the second at least 7 s", delays)
		}
	})
}

// 10, 14: a probe that does not complete in 10 s is abandoned; the client
// stays on the fallback.
func TestMustProbeCompletionBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var probeEnded time.Duration
		start := time.Now()
		d := &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
			if tr != wire.TransportWebSocket {
				return newFakeLink(tr, "s1", a.SID != ""), nil
			}
			if !a.Probe {
				return nil, refused(tr)
			}
			probeStart := time.Now()
			<-ctx.Done()
			if probeEnded == 0 {
				probeEnded = time.Since(probeStart)
			}
			return nil, ctx.Err()
		}}
		o := fakeOpts(d, newEvents())
		o.ProbeInterval = time.Second
		c, err := Dial(t.Context(), fakeURL, o)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(t.Context())
		time.Sleep(time.Minute)
		synctest.Wait()
		if probeEnded != 10*time.Second || c.Transport() != wire.TransportSSE {
			t.Fatalf("probe abandoned after %v; on %s (%v)", probeEnded, c.Transport(), time.Since(start))
		}
	})
}

// 10: the probe: a hello with probe, sid, key and recv (the link's
// Attach), p and the server's q, then u with the recv, then the unacked
// frames on the WebSocket; an s on the fallback it replaced is ignored.
func TestMustProbeSequence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var probeAttach link.Attach
		fallbackLinks := make(chan *fakeLink, 2)
		probes := make(chan *fakeLink, 2)
		d := &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
			if tr == wire.TransportWebSocket {
				if !a.Probe {
					return nil, refused(tr)
				}
				probeAttach = a
				l := newFakeLink(tr, "s1", true)
				l.pong = true
				probes <- l
				return l, nil
			}
			l := newFakeLink(tr, "s1", a.SID != "")
			fallbackLinks <- l
			return l, nil
		}}
		ev := newEvents()
		o := fakeOpts(d, ev)
		o.ProbeInterval = time.Second
		c, err := Dial(t.Context(), fakeURL, o)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(t.Context())
		fb := <-fallbackLinks
		fb.push(text(1, "one"))
		fb.push(text(2, "two"))
		c.Send(t.Context(), Text("unacked"))
		synctest.Wait()
		p := <-probes
		synctest.Wait()
		if !probeAttach.Probe || probeAttach.SID != "s1" || probeAttach.Key != "k" || probeAttach.Ack != 2 {
			t.Fatalf("probe attach %+v", probeAttach)
		}
		p.mu.Lock()
		sent := slices.Clone(p.sent)
		p.mu.Unlock()
		var got []string
		for _, f := range sent {
			got = append(got, fmt.Sprintf("%v%d", f.Kind, f.Seq))
		}
		if len(sent) < 3 || sent[0].Kind != wire.KindPing || sent[1].Kind != wire.KindUpgrade || sent[1].Seq != 2 ||
			!slices.ContainsFunc(sent[2:], func(f wire.Frame) bool { return f.Kind == wire.KindText && f.Seq == 1 }) {
			t.Fatalf("probe frames %v, want p, u2, then the unacked m1", got)
		}
		from := ev.len()
		fb.push(wire.Frame{Kind: wire.KindSuperseded})
		synctest.Wait()
		for _, e := range ev.snapshot()[from:] {
			if isEvent[DisconnectedEvent](e) {
				t.Fatalf("the s on the replaced fallback disconnected the client: %v", e)
			}
		}
		if c.Transport() != wire.TransportWebSocket {
			t.Fatalf("on %s", c.Transport())
		}
	})
}
