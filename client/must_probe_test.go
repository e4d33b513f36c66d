//go:build !js

package client

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// The client-side rules of PROTOCOL.md on probing and choosing transports
// (5.2, 10, 13) against fake links in a testing/synctest bubble. The rule
// table is in must_test.go.

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
		dialFake(t, d, func(o *Options) {
			o.ProbeInterval = 0 // the default
		})
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
		dialFake(t, d, func(o *Options) {
			o.ProbeInterval = time.Second
		})
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
		dialFake(t, d, func(o *Options) {
			o.ProbeInterval = time.Second
		})
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
		c, _ := dialFake(t, d, func(o *Options) {
			o.ProbeInterval = time.Second
		})
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
		c, ev := dialFake(t, d, func(o *Options) {
			o.ProbeInterval = time.Second
		})
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
