//go:build !js

package client

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// cancelingDialer is a fakeDialer that records the attempt ids of its
// attaches and the cancels it gets.
type cancelingDialer struct {
	*fakeDialer
	mu       sync.Mutex
	attempts map[string]string // transport -> attempt id of its last attach
	cancels  []string
}

func (d *cancelingDialer) DialLink(ctx context.Context, tr string, h http.Header, a link.Attach) (link.Link, error) {
	d.mu.Lock()
	if d.attempts == nil {
		d.attempts = map[string]string{}
	}
	d.attempts[tr] = a.Attempt
	d.mu.Unlock()
	return d.fakeDialer.DialLink(ctx, tr, h, a)
}

func (d *cancelingDialer) CancelAttempt(_ context.Context, id string) error {
	d.mu.Lock()
	d.cancels = append(d.cancels, id)
	d.mu.Unlock()
	return nil
}

// 4.8, 13 (issue 15): the new-session attempts the client gives up before
// their welcome are cancelled by their attempt ids (a WebSocket still
// unanswered when long-polling won, an SSE stream whose first event never
// came within its window); the winner's is not, nor one the server refused
// with a status (it made no session).
func TestRaceLosersCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &cancelingDialer{fakeDialer: &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
			switch tr {
			case wire.TransportWebSocket:
				<-ctx.Done()
				return nil, ctx.Err()
			case wire.TransportSSE:
				select {
				case <-time.After(DefaultFirstEventWait):
					return nil, refused(tr) // no first event: no status
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			return newFakeLink(tr, "s1", false), nil
		}}}
		o := fakeOpts(d.fakeDialer, newEvents())
		o.linkDialer = d
		c, err := Dial(t.Context(), fakeURL, o)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		time.Sleep(DefaultFirstEventWait) // SSE's window ends
		synctest.Wait()
		d.mu.Lock()
		defer d.mu.Unlock()
		ws, sse, lp := d.attempts[wire.TransportWebSocket], d.attempts[wire.TransportSSE], d.attempts[wire.TransportPoll]
		if ws == "" || sse == "" || lp == "" || ws == sse || sse == lp {
			t.Fatalf("attempt ids %q %q %q: want one of its own for each new-session attach", ws, sse, lp)
		}
		slices.Sort(d.cancels)
		want := []string{ws, sse}
		slices.Sort(want)
		if !slices.Equal(d.cancels, want) {
			t.Fatalf("cancelled %v, want the websocket and sse attempts %v (not longpoll's %q)", d.cancels, want, lp)
		}
	})
}

// An attempt answered with a non-success status made no session: no
// cancel.
func TestRefusedAttemptNotCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &cancelingDialer{fakeDialer: &fakeDialer{dial: func(ctx context.Context, _ int, tr string, a link.Attach) (link.Link, error) {
			if tr == wire.TransportWebSocket {
				return nil, &transport.HandshakeError{Transport: tr, StatusCode: 400, Class: transport.ClassRefused}
			}
			return newFakeLink(tr, "s1", a.SID != ""), nil
		}}}
		o := fakeOpts(d.fakeDialer, newEvents())
		o.linkDialer = d
		c, err := Dial(t.Context(), fakeURL, o)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		synctest.Wait()
		d.mu.Lock()
		defer d.mu.Unlock()
		if len(d.cancels) != 0 {
			t.Fatalf("cancelled %v after a 400", d.cancels)
		}
	})
}
