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

// pacedDial is a dial whose WebSocket attach takes hs (its TCP and TLS
// handshakes), reports its request sent with round trip rtt, and is never
// answered (black-holed); SSE, when stream is true, takes hs, reports its
// request sent with rtt 0 (a link that did not measure it) and holds its
// first event back; the others answer at once.
func pacedDial(log *dialLog, hs, rtt time.Duration, stream bool, links chan<- *fakeLink) func(context.Context, int, string, link.Attach) (link.Link, error) {
	return func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
		log.add(tr, a)
		hold := tr == wire.TransportWebSocket || (stream && tr == wire.TransportSSE)
		if hold {
			select {
			case <-time.After(hs):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if a.Sent != nil {
				a.Sent(map[bool]time.Duration{true: rtt, false: 0}[tr == wire.TransportWebSocket])
			}
			<-ctx.Done()
			return nil, ctx.Err()
		}
		l := newFakeLink(tr, "s1", a.SID != "")
		links <- l
		return l, nil
	}
}

// 13 (issue 15): the race is paced by the path's round trip: once the
// WebSocket upgrade request is on the wire, SSE starts when its answer is
// raceRTTs round trips overdue (at least raceFloor), never later than
// RaceDelay after the attempt started.
func TestRacePacedByRTT(t *testing.T) {
	for _, tc := range []struct {
		name    string
		hs, rtt time.Duration
		want    time.Duration // SSE's start
		paced   bool
	}{
		{"loopback: the floor", 2 * time.Millisecond, time.Millisecond, 2*time.Millisecond + raceFloor, true},
		{"20 ms path: 4 round trips", 40 * time.Millisecond, 20 * time.Millisecond, 40*time.Millisecond + 4*20*time.Millisecond, true},
		{"slow path: RaceDelay", 100 * time.Millisecond, 100 * time.Millisecond, DefaultRaceDelay, false},
		{"not measured: RaceDelay", 2 * time.Millisecond, 0, DefaultRaceDelay, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := &dialLog{start: time.Now()}
				links := make(chan *fakeLink, 8)
				c, ev := dialFake(t, &fakeDialer{dial: pacedDial(log, tc.hs, tc.rtt, false, links)}, nil)
				if err := c.Send(t.Context(), Message{Data: []byte("first")}); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				l := <-links
				if l.tr != wire.TransportSSE || c.Transport() != wire.TransportSSE {
					t.Fatalf("on %s; dials %v", c.Transport(), log.snapshot())
				}
				want := []string{"websocket@0s", "sse@" + tc.want.String()}
				if got := log.snapshot(); !slices.Equal(got, want) {
					t.Fatalf("dials %v, want %v", got, want)
				}
				ce := ev.waitFor(t, 0, "connected", func(e Event) bool { _, ok := e.(ConnectedEvent); return ok }).(ConnectedEvent)
				words := "websocket: no answer after " + tc.want.String() + ", still trying"
				if !strings.Contains(ce.Reason, words) {
					t.Fatalf("reason %q lacks %q", ce.Reason, words)
				}
				if got := strings.Contains(ce.Reason, "after its request"); got != tc.paced {
					t.Fatalf("reason %q: says the race was paced %v, want %v", ce.Reason, got, tc.paced)
				}
				paced := "the next transport started " + (tc.want - tc.hs).String() + " after its request: 4 round trips of " + tc.rtt.String() + ", at least 20ms"
				if tc.paced && !strings.Contains(ce.Reason, paced) {
					t.Fatalf("reason %q lacks %q", ce.Reason, paced)
				}
			})
		})
	}
}

// 8.1, 13 (issue 15): WebSocket black-holed and SSE's first event held
// back: SSE, which does not measure its connection, is paced by the round
// trip the WebSocket attempt measured, and long-polling carries the first
// message a few round trips after SSE's request, not RaceDelay after it.
func TestRacePacedHeldBackSSE(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &dialLog{start: time.Now()}
		links := make(chan *fakeLink, 8)
		hs := 2 * time.Millisecond
		c, _ := dialFake(t, &fakeDialer{dial: pacedDial(log, hs, time.Millisecond, true, links)}, nil)
		if err := c.Send(t.Context(), Message{Data: []byte("first")}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		l := <-links
		if l.tr != wire.TransportPoll {
			t.Fatalf("on %s; dials %v", l.tr, log.snapshot())
		}
		sse := hs + raceFloor
		want := []string{"websocket@0s", "sse@" + sse.String(), "longpoll@" + (sse + hs + raceFloor).String()}
		if got := log.snapshot(); !slices.Equal(got, want) {
			t.Fatalf("dials %v, want %v", got, want)
		}
	})
}

// The round trip one connect measured paces the next connect's race too:
// a link that reports 0 takes the client's remembered one.
func TestRacePaceRemembered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, _ := fakeLinks(8)
		c, _ := dialFake(t, d, nil)
		if got := c.noteRTT(0); got != 0 {
			t.Fatalf("remembered %v before any measure", got)
		}
		// No connect measured one (the browser): the session's smoothed
		// round trip of acks and pongs paces the next connect.
		c.sample(5 * time.Millisecond)
		if got := c.noteRTT(0); got != 5*time.Millisecond {
			t.Fatalf("remembered %v with only the session's round trip of 5ms known, want it", got)
		}
		c.noteRTT(3 * time.Millisecond)
		if got := c.noteRTT(0); got != 3*time.Millisecond {
			t.Fatalf("remembered %v, want 3ms", got)
		}
		// The browser's attempts report an estimate (twice
		// navigator.connection.rtt): used only while the session has
		// measured none, and never remembered.
		b, _ := dialFake(t, d, nil)
		if got := b.noteRTTAs(40*time.Millisecond, false); got != 40*time.Millisecond {
			t.Fatalf("browser, nothing measured: paced by %v, want the estimate of 40ms", got)
		}
		if got := b.noteRTTAs(0, false); got != 0 {
			t.Fatalf("browser: the estimate was remembered (%v)", got)
		}
		b.sample(5 * time.Millisecond)
		if got := b.noteRTTAs(40*time.Millisecond, false); got != 5*time.Millisecond {
			t.Fatalf("browser with the session's round trip of 5ms known: paced by %v, want 5ms", got)
		}
		for _, tc := range []struct{ rtt, want time.Duration }{
			{0, raceFloor}, {time.Millisecond, raceFloor}, {10 * time.Millisecond, 40 * time.Millisecond}, {time.Second, DefaultRaceDelay},
		} {
			if got := racePace(tc.rtt, DefaultRaceDelay); got != tc.want {
				t.Fatalf("racePace(%v) = %v, want %v", tc.rtt, got, tc.want)
			}
		}
	})
}
