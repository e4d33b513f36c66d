//go:build !js

package client

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// blackholedWS is a dial where the WebSocket upgrade is accepted and never
// answered (a proxy black-holes it) unless probeOK and the attach is a
// probe; the fallbacks answer at once. links receives every link made.
func blackholedWS(log *dialLog, probeOK bool, links chan<- *fakeLink) func(context.Context, int, string, link.Attach) (link.Link, error) {
	return func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
		log.add(tr, a)
		if tr == wire.TransportWebSocket && !(probeOK && a.Probe) {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		l := newFakeLink(tr, "s1", a.SID != "")
		l.pong = true
		links <- l
		return l, nil
	}
}

// 13 (issue 15): a black-holed WebSocket upgrade holds the first message
// RaceDelay (250 ms), not SlowTimeout (2.5 s): SSE starts beside it and
// carries the session, and the reason says WebSocket is still unanswered.
// Before (RaceDelay negative, the old rule): the first message went at 2.5 s.
func TestRaceBlackholedWebSocket(t *testing.T) {
	for _, tc := range []struct {
		race time.Duration
		want time.Duration
	}{{0, DefaultRaceDelay}, {-1, DefaultSlowTimeout}} {
		synctest.Test(t, func(t *testing.T) {
			log := &dialLog{start: time.Now()}
			links := make(chan *fakeLink, 8)
			ev := newEvents()
			o := fakeOpts(&fakeDialer{dial: blackholedWS(log, false, links)}, ev)
			o.RaceDelay = tc.race
			c, err := Dial(t.Context(), fakeURL, o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(t.Context())
			if err := c.Send(t.Context(), Message{Data: []byte("first")}); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			l := <-links
			if l.tr != wire.TransportSSE || c.Transport() != wire.TransportSSE {
				t.Fatalf("on %s; dials %v", c.Transport(), log.snapshot())
			}
			sentAt := time.Since(log.start)
			if !slices.ContainsFunc(l.sentFrames(), func(f wire.Frame) bool { return f.Kind == wire.KindText && string(f.Data) == "first" }) {
				t.Fatalf("the first message did not go out on %s", l.tr)
			}
			if sentAt != tc.want {
				t.Fatalf("RaceDelay %v: first message at %v (fake clock), want %v; dials %v", tc.race, sentAt, tc.want, log.snapshot())
			}
			ce := ev.waitFor(t, 0, "connected", func(e Event) bool { _, ok := e.(ConnectedEvent); return ok }).(ConnectedEvent)
			if !strings.Contains(ce.Reason, "websocket: no answer after "+tc.want.String()+", still trying") {
				t.Fatalf("reason %q", ce.Reason)
			}
		})
	}
}

// 10, 13 (issue 15): when a fallback wins a race over an unanswered
// WebSocket, WebSocket is probed at once (not after ProbeInterval's 15-30
// s), and the session moves to it when the probe round-trips: a slow but
// working WebSocket carries the session about a round trip after its answer.
func TestRaceLostWebSocketProbedAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &dialLog{start: time.Now()}
		links := make(chan *fakeLink, 8)
		o := fakeOpts(&fakeDialer{dial: blackholedWS(log, true, links)}, newEvents())
		o.ProbeInterval = 0 // the default: 30 s
		c, err := Dial(t.Context(), fakeURL, o)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(t.Context())
		synctest.Wait()
		if c.Transport() != wire.TransportWebSocket {
			t.Fatalf("on %s; dials %v", c.Transport(), log.snapshot())
		}
		want := []string{"websocket@0s", "sse@250ms", "probe@250ms"}
		if got := log.snapshot(); !slices.Equal(got, want) {
			t.Fatalf("dials %v, want %v", got, want)
		}
	})
}

// sentFrames is a copy of what the client sent on l.
func (l *fakeLink) sentFrames() []wire.Frame {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.sent)
}

// 8.1, 13 (issue 15): WebSocket black-holed and SSE's first event held back
// (a buffering proxy): long-polling carries the first message RaceDelay
// after SSE started, SSE's window still running. Before (RaceDelay
// negative, the old rule): WebSocket's slow timer, then SSE's window, so the
// first message went at 2.5 s + 3 s.
func TestRaceBlackholedWebSocketHeldBackSSE(t *testing.T) {
	for _, tc := range []struct {
		race time.Duration
		want time.Duration
	}{{0, 2 * DefaultRaceDelay}, {-1, DefaultSlowTimeout + DefaultFirstEventWait}} {
		synctest.Test(t, func(t *testing.T) {
			log := &dialLog{start: time.Now()}
			links := make(chan *fakeLink, 8)
			d := &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
				log.add(tr, a)
				switch tr {
				case wire.TransportWebSocket:
					<-ctx.Done()
					return nil, ctx.Err()
				case wire.TransportSSE:
					select {
					case <-time.After(DefaultFirstEventWait):
						return nil, refused(tr)
					case <-ctx.Done():
						return nil, ctx.Err()
					}
				}
				l := newFakeLink(tr, "s1", a.SID != "")
				links <- l
				return l, nil
			}}
			ev := newEvents()
			o := fakeOpts(d, ev)
			o.RaceDelay = tc.race
			c, err := Dial(t.Context(), fakeURL, o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(t.Context())
			if err := c.Send(t.Context(), Message{Data: []byte("first")}); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			l := <-links
			sentAt := time.Since(log.start)
			if l.tr != wire.TransportPoll || !slices.ContainsFunc(l.sentFrames(), func(f wire.Frame) bool { return f.Kind == wire.KindText }) {
				t.Fatalf("first message not on longpoll; dials %v", log.snapshot())
			}
			if sentAt != tc.want {
				t.Fatalf("RaceDelay %v: first message at %v (fake clock), want %v; dials %v", tc.race, sentAt, tc.want, log.snapshot())
			}
			if tc.race == 0 {
				ce := ev.waitFor(t, 0, "connected", func(e Event) bool { _, ok := e.(ConnectedEvent); return ok }).(ConnectedEvent)
				for _, w := range []string{"websocket: no answer after 500ms, still trying", "sse: first event held back after 250ms"} {
					if !strings.Contains(ce.Reason, w) {
						t.Fatalf("reason %q lacks %q", ce.Reason, w)
					}
				}
			}
		})
	}
}
