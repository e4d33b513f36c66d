//go:build !js

package client

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// bareClient is a Client as Dial builds it, before its first connect: the
// test drives negotiate and adopt itself.
func bareClient(t *testing.T, d *fakeDialer) *Client {
	t.Helper()
	o, err := fakeOpts(d, newEvents()).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(context.Background())
	c := &Client{o: o, ctx: cctx, cancel: cancel, poke: make(chan struct{}, 1), maxMsg: o.MaxMessageBytes}
	c.links = publicLinks{d}
	c.ev = newDispatcher(nil)
	return c
}

// 8.1, 13 (issue 15): the first event of an SSE attempt that lost the race
// to long-polling may come while the winner is not adopted yet (negotiate
// has returned, its caller has not taken the lock): the session still moves
// to SSE once the winner carries it. Before, the drain goroutine found no
// current connection and dropped the proof: the session stayed on
// long-polling.
func TestRaceStreamProvedBeforeWinnerAdopted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{}) // SSE's first event, held back until then
		reattach := make(chan link.Attach, 1)
		d := &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
			switch tr {
			case wire.TransportWebSocket:
				return nil, refused(tr)
			case wire.TransportSSE:
				if a.SID == "" { // the raced attempt
					select {
					case <-release:
						return newFakeLink(tr, "s2", false), nil
					case <-ctx.Done():
						return nil, ctx.Err()
					}
				}
				reattach <- a
				return newFakeLink(tr, a.SID, true), nil
			}
			return newFakeLink(tr, "s1", false), nil
		}}
		c := bareClient(t, d)
		defer c.Close(context.Background())
		cn, reason, err := c.negotiate(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if cn.l.Transport() != wire.TransportPoll {
			t.Fatalf("won by %s (%s)", cn.l.Transport(), reason)
		}
		close(release)
		synctest.Wait() // the drain goroutine has SSE's link: the proof is in
		c.adopt(cn, reason, 0, "")
		synctest.Wait()
		select {
		case a := <-reattach:
			if a.SID != "s1" {
				t.Fatalf("SSE attached again for session %q, want s1", a.SID)
			}
		default:
			t.Fatal("SSE's first event came before the winner was adopted and was dropped: no attach over SSE")
		}
		if got := c.Transport(); got != wire.TransportSSE {
			t.Fatalf("on %s, want sse", got)
		}
	})
}

// A proof kept for a winner that is never adopted (another link is) is
// dropped: no move.
func TestRaceStreamProvedForStaleWinnerDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		attached := make(chan struct{}, 1)
		d := &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
			attached <- struct{}{}
			return newFakeLink(tr, "s1", a.SID != ""), nil
		}}
		c := bareClient(t, d)
		defer c.Close(context.Background())
		stale := newFakeLink(wire.TransportPoll, "s0", false)
		c.streamProved(wire.TransportSSE, stale)
		c.adopt(newConn(newFakeLink(wire.TransportPoll, "s1", false)), "test", 0, "")
		synctest.Wait()
		select {
		case <-attached:
			t.Fatal("a proof for a link never adopted moved the session")
		default:
		}
		if got := c.Transport(); got != wire.TransportPoll {
			t.Fatalf("on %s", got)
		}
	})
}
