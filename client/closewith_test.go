//go:build !js

package client

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// CloseWith's code and reason reach the server in the close frame; bad
// values are refused and leave the client open.
func TestCloseWithSendsCodeAndReason(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var up *fakeLink
		d := &fakeDialer{dial: func(_ context.Context, _ int, tr string, _ link.Attach) (link.Link, error) {
			up = newFakeLink(tr, "s1", false)
			return up, nil
		}}
		c, err := Dial(t.Context(), fakeURL, fakeOpts(d, newEvents()))
		if err != nil {
			t.Fatal(err)
		}
		var ce *transport.ConfigError
		for _, bad := range []struct {
			code   CloseCode
			reason string
		}{{1001, ""}, {2999, ""}, {5000, ""}, {4000, strings.Repeat("x", 124)}, {4000, "\xff"}} {
			if err := c.CloseWith(t.Context(), bad.code, bad.reason); !errors.As(err, &ce) {
				t.Fatalf("CloseWith(%d, %q) = %v, want a *transport.ConfigError", bad.code, bad.reason, err)
			}
		}
		if c.State() != StateConnected {
			t.Fatalf("state %v after refused CloseWith calls", c.State())
		}
		if err := c.CloseWith(t.Context(), 4001, "logged out"); err != nil {
			t.Fatal(err)
		}
		up.mu.Lock()
		defer up.mu.Unlock()
		last := up.sent[len(up.sent)-1]
		if last.Kind != wire.KindClose || last.Close.Code != 4001 || last.Close.Reason != "logged out" {
			t.Fatalf("last frame %+v, want c 4001 logged out", last)
		}
	})
}

// Buffered counts the payload bytes sent and not yet acknowledged.
func TestBufferedCountsUnacknowledgedBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var up *fakeLink
		d := &fakeDialer{dial: func(_ context.Context, _ int, tr string, _ link.Attach) (link.Link, error) {
			up = newFakeLink(tr, "s1", false)
			return up, nil
		}}
		c, err := Dial(t.Context(), fakeURL, fakeOpts(d, newEvents()))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(t.Context())
		c.Send(t.Context(), Text("hello"))
		c.Send(t.Context(), Binary([]byte{1, 2, 3}))
		synctest.Wait()
		if n := c.Buffered(); n != 8 {
			t.Fatalf("Buffered = %d before the ack, want 8", n)
		}
		up.push(wire.Frame{Kind: wire.KindAck, Seq: 1})
		synctest.Wait()
		if n := c.Buffered(); n != 3 {
			t.Fatalf("Buffered = %d after ack 1, want 3", n)
		}
	})
}

// A transport that loses the connect race after its welcome started a new
// session ends that session with a close frame (no orphan on the server);
// a loser that resumed the client's own session is only closed.
func TestLosingLinkClosesItsOrphanSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		orphan := make(chan *fakeLink, 1)
		d := &fakeDialer{dial: func(ctx context.Context, _ int, tr string, _ link.Attach) (link.Link, error) {
			if tr == wire.TransportWebSocket {
				<-release // slow: SSE starts in parallel and wins
				l := newFakeLink(tr, "s-orphan", false)
				orphan <- l
				return l, nil
			}
			return newFakeLink(tr, "s1", false), nil
		}}
		o := fakeOpts(d, newEvents())
		o.Transports = []string{TransportWebSocket, TransportSSE}
		c, err := Dial(t.Context(), fakeURL, o)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(t.Context())
		if tr := c.Transport(); tr != TransportSSE {
			t.Fatalf("connected on %q, want sse", tr)
		}
		close(release)
		l := <-orphan
		synctest.Wait()
		l.mu.Lock()
		sent := l.sent
		l.mu.Unlock()
		if len(sent) != 1 || sent[0].Kind != wire.KindClose || sent[0].Close.Code != wire.CloseNormal {
			t.Fatalf("the orphan's link got %+v, want one close frame", sent)
		}
		select {
		case <-l.closed:
		default:
			t.Fatal("the losing link was not closed")
		}
	})
}
