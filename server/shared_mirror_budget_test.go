package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// The tests here run the nodes in process on synctest's clock, and check
// the budget at quiescent points (synctest.Wait): no sleeps, no timing.

// stopNodes shuts the nodes down (on synctest's clock), also after a
// failed test (a cleanup's t.Context is canceled already).
func stopNodes(t *testing.T, hs ...*Handler) {
	for _, h := range hs {
		h.shutdown.Store(true) // none takes over what another drops
	}
	for _, h := range hs {
		if err := h.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}
	time.Sleep(time.Minute) // the close grace of every session
	synctest.Wait()
}

// sharedClient is a long-polling client of one shared session, driven in
// process: it checks that every message arrives once and in order.
type sharedClient struct {
	t        *testing.T
	sid, key string
	remote   string
	ack      uint64 // the last message received
	acked    uint64 // the last ack sent
	closed   *wire.Close
}

// openClient starts a session on h.
func openClient(t *testing.T, h *Handler, remote string) *sharedClient {
	t.Helper()
	w := welcomeOf(t, call(h, "GET", pollOpen, remote, nil))
	return &sharedClient{t: t, sid: w.SID, key: w.Key, remote: remote}
}

// sendN is a serve function that sends n messages of 100 bytes (as
// burst's) and waits for the end.
func sendN(n int) func(*Session) {
	return func(s *Session) {
		for i := range n {
			if s.Send(s.Context(), Message{Data: []byte(fmt.Sprintf("%03d", i+1) + strings.Repeat("x", 97))}) != nil {
				return
			}
		}
		<-s.Context().Done()
	}
}

// poll polls h without holding, acking what the client has; it returns
// the data frames and checks their order and content (sendN's).
func (c *sharedClient) poll(h *Handler) []wire.Frame {
	c.t.Helper()
	rec := call(h, "GET", "/live?tether=poll&tether_v=1&tether_hold=0&tether_sid="+c.sid+"&tether_ack="+strconv.FormatUint(c.ack, 10),
		c.remote, http.Header{wire.HeaderKey: {c.key}})
	if rec.Code != 200 {
		c.t.Fatalf("poll of %s via %s: %d %s", c.sid, h.opts.Node, rec.Code, rec.Body)
	}
	c.acked = c.ack
	fr, err := wire.ParseJSONBatch(rec.Body.Bytes(), 0, 0)
	if err != nil {
		c.t.Fatalf("poll answer: %v %q", err, rec.Body)
	}
	data := dataOf(fr)
	for _, f := range fr {
		switch {
		case f.Kind == wire.KindText:
			if c.closed != nil {
				c.t.Fatalf("message %d after the close", f.Seq)
			}
			if f.Seq != c.ack+1 || string(f.Data[:3]) != fmt.Sprintf("%03d", f.Seq) {
				c.t.Fatalf("session %s: got %d %q after %d", c.sid, f.Seq, f.Data[:3], c.ack)
			}
			c.ack = f.Seq
		case f.Kind == wire.KindClose:
			c.closed = f.Close
		}
	}
	return data
}

// mirrored is what h's sessions hold of the messages to and from their
// clients: the bytes its budget must be charged with.
func mirrored(h *Handler) int64 {
	var n int64
	for _, s := range h.opts.Store.All() {
		s.mu.Lock()
		n += int64(s.out.Bytes() + s.inboxBytes)
		if s.sh != nil {
			for _, m := range s.sh.ahead {
				n += int64(len(m.Data))
			}
		}
		s.mu.Unlock()
	}
	return n
}

// unacked is the bytes the store holds for the clients of h's sessions.
func unacked(t *testing.T, h *Handler) int64 {
	var n int64
	for _, s := range h.opts.Store.All() {
		_, state, err := h.opts.Shared.Load(t.Context(), s.id)
		if err != nil {
			t.Fatal(err)
		}
		n += state.Out.Bytes
	}
	return n
}

// checkCharged asserts, at a quiescent point, that h's budget is charged
// with exactly what its mirrors hold, within its bound.
// checkDrained checks that nothing stays charged or waits for the budget
// on the nodes hs once every message was acked.
func checkDrained(t *testing.T, hs ...*Handler) {
	t.Helper()
	for _, h := range hs {
		checkCharged(t, h, "all acked")
		if u, w := h.budget.inUse(), h.budget.waiting(); u != 0 || w != 0 {
			t.Fatalf("node %s: %d bytes charged, %d waiting for the budget after every message was acked", h.opts.Node, u, w)
		}
	}
}

func checkCharged(t *testing.T, h *Handler, when string) {
	t.Helper()
	used, held, max := h.budget.inUse(), mirrored(h), h.opts.MaxTotalBufferedBytes
	if used > max || used != held {
		t.Fatalf("node %s, %s: budget in use %d (of %d), mirrors hold %d bytes", h.opts.Node, when, used, max, held)
	}
}

// TestSharedMirrorsHoldOnlyChargedBytes: a node whose budget (800 bytes)
// is less than what the store holds for its sessions (3 sessions x 10
// messages of 100 bytes) keeps in its mirrors only what the budget is
// charged with: at every quiescent point the budget equals the mirrors'
// bytes, never over its bound, and is used to the full while messages
// wait in the store (a mirror the budget held back reads on as soon as
// acks free bytes: no time passes in the whole test, so no re-read tick
// helps). Every message arrives once, in order, and the budget is 0 once
// the clients acked everything. Both with the budget on the owner node
// (its Sends push into its mirror) and on another node.
func TestSharedMirrorsHoldOnlyChargedBytes(t *testing.T) {
	for _, layout := range []string{"owner", "mirror"} {
		t.Run(layout, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const budget, sessions, n = 800, 3, 10
				st := NewMemoryShared()
				small := &Options{Shared: st, Node: "small", MaxMessageBytes: 100, MaxTotalBufferedBytes: budget, PollRate: 1000}
				big := &Options{Shared: st, Node: "big", MaxMessageBytes: 100, PollRate: 1000}
				owner, via := NewHandler(sendN(n), small), NewHandler(idle, big)
				if layout == "mirror" {
					owner, via = NewHandler(sendN(n), big), NewHandler(idle, small)
				}
				limited := owner
				if layout == "mirror" {
					limited = via
				}
				t.Cleanup(func() { stopNodes(t, owner, via) })
				start := time.Now()
				var cs []*sharedClient
				for i := range sessions {
					cs = append(cs, openClient(t, owner, "192.0.2."+strconv.Itoa(i+1)+":1"))
				}
				synctest.Wait() // the owner stored every message
				client := limited
				for rounds := 0; ; rounds++ {
					if rounds > 100 {
						t.Fatalf("after %d rounds, acked %d, %d, %d of %d", rounds, cs[0].acked, cs[1].acked, cs[2].acked, n)
					}
					done := true
					for _, c := range cs {
						if c.acked == n {
							continue
						}
						done = false
						c.poll(client)
						synctest.Wait()
						when := fmt.Sprintf("round %d, session %s at %d", rounds, c.sid, c.ack)
						checkCharged(t, limited, when)
						if want := min(budget, unacked(t, limited)); limited.budget.inUse() != want {
							t.Fatalf("%s: budget in use %d while the store holds %d bytes for this node's mirrors: want %d",
								when, limited.budget.inUse(), unacked(t, limited), want)
						}
					}
					if done {
						break
					}
				}
				checkDrained(t, owner, via)
				if !time.Now().Equal(start) {
					t.Fatalf("%v passed: the mirrors waited for a re-read, not for the budget", time.Since(start))
				}
			})
		})
	}
}

// TestSharedAckPastTheMirror: a client that got messages through another
// node resumes on a node whose budget held them out of its mirror; its ack
// is checked against the store, not refused, and the mirror goes on after
// it once acks of another session free bytes: the client gets the rest
// once, in order.
func TestSharedAckPastTheMirror(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const budget, n = 800, 10
		st := NewMemoryShared()
		a := NewHandler(sendN(n), &Options{Shared: st, Node: "a", MaxMessageBytes: 100, PollRate: 1000})
		b := NewHandler(idle, &Options{Shared: st, Node: "b", MaxMessageBytes: 100, MaxTotalBufferedBytes: budget, PollRate: 1000})
		t.Cleanup(func() { stopNodes(t, a, b) })
		start := time.Now()
		x, y := openClient(t, a, "192.0.2.1:1"), openClient(t, a, "192.0.2.2:1")
		synctest.Wait()
		if got := len(y.poll(a)); got != n {
			t.Fatalf("y through a: %d messages, want %d", got, n)
		}
		y.ack = 5 // the answer's end was lost on the way: the client has 1..5
		if got := len(x.poll(b)); got != 8 {
			t.Fatalf("x through b: %d messages, want the 8 its budget takes", got)
		}
		synctest.Wait()
		checkCharged(t, b, "x mirrored")
		if got := len(y.poll(b)); got != 0 { // acks 5: past b's mirror of y, which the budget kept empty
			t.Fatalf("y through b with the budget spent: %d messages", got)
		}
		synctest.Wait()
		checkCharged(t, b, "y resumed")
		x.poll(b) // acks 8: bytes for y's mirror
		synctest.Wait()
		checkCharged(t, b, "x acked")
		y.poll(b)
		x.poll(b)
		for range 3 {
			synctest.Wait()
			y.poll(b)
			x.poll(b)
		}
		if x.acked != n || y.acked != n {
			t.Fatalf("acked %d of x, %d of y, want %d", x.acked, y.acked, n)
		}
		synctest.Wait()
		checkDrained(t, a, b)
		if !time.Now().Equal(start) {
			t.Fatalf("%v passed", time.Since(start))
		}
	})
}

// TestSharedCloseFollowsHeldBackMessages: a session the application closed
// while a node's budget held its messages out of the mirror gets the close
// frame through that node only after every message.
func TestSharedCloseFollowsHeldBackMessages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const budget, n = 800, 10
		st := NewMemoryShared()
		closeNow := make(chan struct{})
		serve := func(s *Session) {
			if s.Remote().IP.String() == "192.0.2.2" {
				go func() {
					select {
					case <-closeNow:
						s.Close(4000, "done") // after the messages
					case <-s.Context().Done():
					}
				}()
			}
			sendN(n)(s)
		}
		a := NewHandler(serve, &Options{Shared: st, Node: "a", MaxMessageBytes: 100, PollRate: 1000})
		b := NewHandler(idle, &Options{Shared: st, Node: "b", MaxMessageBytes: 100, MaxTotalBufferedBytes: budget, PollRate: 1000})
		t.Cleanup(func() { stopNodes(t, a, b) })
		x, c := openClient(t, a, "192.0.2.1:1"), openClient(t, a, "192.0.2.2:1")
		synctest.Wait()
		x.poll(b) // x's mirror on b takes the budget
		if got := len(c.poll(b)); got != 0 {
			t.Fatalf("c through b with the budget spent: %d messages", got)
		}
		close(closeNow)
		synctest.Wait() // c is closed, in the store and in b's mirror
		for range 5 {
			c.poll(b)
			x.poll(b)
			synctest.Wait()
			checkCharged(t, b, "polling")
		}
		if c.ack != n || c.closed == nil || c.closed.Code != 4000 {
			t.Fatalf("c got %d of %d messages and the close %+v", c.ack, n, c.closed)
		}
	})
}

// TestSharedReadAheadChargesTheBudget: the owner's read-ahead of the
// client's messages holds what the budget takes (800 bytes of the 900 read
// past the message Receive returns), charged; Receive returns every message
// once, in order, and the budget is 0 once it took them all.
func TestSharedReadAheadChargesTheBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const budget, n = 800, 10
		st := NewMemoryShared()
		start, paused, resume := make(chan struct{}), make(chan struct{}), make(chan struct{})
		var got []string
		serve := func(s *Session) {
			<-start
			for i := range n {
				m, err := s.Receive(s.Context())
				if err != nil {
					return
				}
				got = append(got, string(m.Data[:3]))
				if i == 0 {
					close(paused)
					<-resume
				}
			}
			<-s.Context().Done()
		}
		a := NewHandler(serve, &Options{Shared: st, Node: "a", MaxMessageBytes: 100, MaxTotalBufferedBytes: budget, PollRate: 1000})
		t.Cleanup(func() { stopNodes(t, a) })
		c := openClient(t, a, "192.0.2.1:1")
		for i := range uint64(n) {
			body, _ := wire.AppendJSONBatch(nil, []wire.Frame{text(i+1, fmt.Sprintf("%03d", i+1)+strings.Repeat("x", 97))})
			req := httptest.NewRequest(http.MethodPost, "/live?tether=send&tether_v=1&tether_sid="+c.sid, strings.NewReader(string(body)))
			req.RemoteAddr = c.remote
			req.Header.Set(wire.HeaderKey, c.key)
			rec := httptest.NewRecorder()
			a.ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Fatalf("send %d: %d %s", i+1, rec.Code, rec.Body)
			}
		}
		close(start)
		<-paused
		synctest.Wait()
		checkCharged(t, a, "one message taken")
		if u := a.budget.inUse(); u != budget {
			t.Fatalf("read-ahead: %d bytes charged, want %d (8 of the 9 messages read past the first)", u, budget)
		}
		close(resume)
		synctest.Wait()
		if len(got) != n {
			t.Fatalf("%d of %d messages received", len(got), n)
		}
		for i, g := range got {
			if g != fmt.Sprintf("%03d", i+1) {
				t.Fatalf("received %q as message %d", g, i+1)
			}
		}
		checkCharged(t, a, "all taken")
		if u := a.budget.inUse(); u != 0 {
			t.Fatalf("%d bytes charged once every message was taken", u)
		}
	})
}

// TestSharedMirrorAckedElsewhereLeavesTheQueue: a mirror waiting for its
// node's budget whose client then acked every message through another node
// needs no bytes any more: it leaves the budget's queue, and the bytes
// other sessions' acks free are not reserved for it.
func TestSharedMirrorAckedElsewhereLeavesTheQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const budget, n = 800, 10
		st := NewMemoryShared()
		a := NewHandler(sendN(n), &Options{Shared: st, Node: "a", MaxMessageBytes: 100, PollRate: 1000})
		b := NewHandler(idle, &Options{Shared: st, Node: "b", MaxMessageBytes: 100, MaxTotalBufferedBytes: budget, PollRate: 1000})
		t.Cleanup(func() { stopNodes(t, a, b) })
		x, y := openClient(t, a, "192.0.2.1:1"), openClient(t, a, "192.0.2.2:1")
		synctest.Wait()
		if got := len(x.poll(b)); got != 8 {
			t.Fatalf("x through b: %d messages, want the 8 its budget takes", got)
		}
		if got := len(y.poll(b)); got != 0 {
			t.Fatalf("y through b with the budget spent: %d messages", got)
		}
		synctest.Wait()
		if w := b.budget.waiting(); w != 2 {
			t.Fatalf("%d waiting for b's budget, want x's mirror and y's", w)
		}
		if got := len(y.poll(a)); got != n {
			t.Fatalf("y through a: %d messages, want %d", got, n)
		}
		y.poll(b) // acks them all through b
		synctest.Wait()
		checkCharged(t, b, "y acked everything")
		if w := b.budget.waiting(); w != 1 {
			t.Fatalf("%d waiting for b's budget once y's mirror needs nothing more, want x's alone", w)
		}
		for range 3 {
			x.poll(b) // acks 8 (the bytes go to x's mirror, not to y's), gets 9 and 10, acks them
			synctest.Wait()
			checkCharged(t, b, "x acked")
		}
		if x.acked != n {
			t.Fatalf("x acked %d of %d", x.acked, n)
		}
		if u, w := b.budget.inUse(), b.budget.waiting(); u != 0 || w != 0 {
			t.Fatalf("b: %d bytes charged, %d waiting after every message was acked", u, w)
		}
	})
}

// TestSharedDroppedMirrorLeavesTheQueue: mirrors waiting for their node's
// budget that the node drops (a handover, here the node's shutdown) leave
// the budget's queue, and give back what it had reserved for them.
func TestSharedDroppedMirrorLeavesTheQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const budget, n = 800, 10
		st := NewMemoryShared()
		a := NewHandler(sendN(n), &Options{Shared: st, Node: "a", MaxMessageBytes: 100, PollRate: 1000})
		b := NewHandler(idle, &Options{Shared: st, Node: "b", MaxMessageBytes: 100, MaxTotalBufferedBytes: budget, PollRate: 1000})
		t.Cleanup(func() { stopNodes(t, a, b) })
		x, y := openClient(t, a, "192.0.2.1:1"), openClient(t, a, "192.0.2.2:1")
		synctest.Wait()
		x.poll(b)
		y.poll(b)
		synctest.Wait()
		if w := b.budget.waiting(); w != 2 {
			t.Fatalf("%d waiting for b's budget, want x's mirror and y's", w)
		}
		for _, s := range b.opts.Store.All() {
			if s.id == y.sid {
				s.drop(ErrMoved) // while x's mirror holds the budget: y's ticket is still queued
			}
		}
		synctest.Wait()
		if u, w := b.budget.inUse(), b.budget.waiting(); u != budget || w != 1 {
			t.Fatalf("b: %d bytes charged, %d waiting once it dropped y's mirror: want %d and x's mirror alone", u, w, budget)
		}
		stopNodes(t, b)
		if u, w := b.budget.inUse(), b.budget.waiting(); u != 0 || w != 0 {
			t.Fatalf("b: %d bytes charged, %d waiting once it dropped its mirrors", u, w)
		}
	})
}
