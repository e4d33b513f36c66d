//go:build !js

package client

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/tether-sdk/tether/internal/wire"
)

// The client-side close rules of PROTOCOL.md (4.4, 12) against fake links
// in a testing/synctest bubble. The rule table is in must_test.go.

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
				d, links := fakeLinks(4)
				c, ev := dialFake(t, d, nil)
				l := <-links
				synctest.Wait()
				c.Send(t.Context(), Text("unacked")) // must not follow the answer
				synctest.Wait()
				l.push(text(1, "last words"))
				l.push(closeFrame(code, "over"))
				closed := ev.waitFor(t, 0, "closed", isEvent[ClosedEvent]).(ClosedEvent)
				if len(closed.Unacknowledged) != 1 || string(closed.Unacknowledged[0].Data) != "unacked" {
					t.Fatalf("reported unacknowledged %v", closed.Unacknowledged)
				}
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
				d, links := fakeLinks(4)
				dialFake(t, d, nil)
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
		d, links := fakeLinks(4)
		c, ev := dialFake(t, d, nil)
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
