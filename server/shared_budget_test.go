package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// burst answers a message "N" with N messages of 100 bytes.
func burst(s *Session) {
	m, err := s.Receive(s.Context())
	if err != nil {
		return
	}
	n, _ := strconv.Atoi(string(m.Data))
	for i := range n {
		if s.Send(s.Context(), Message{Data: []byte(fmt.Sprintf("%03d", i+1) + strings.Repeat("x", 97))}) != nil {
			return
		}
	}
	<-s.Context().Done()
}

// TestSharedMirrorsChargeTheBudget: the local copies a node keeps of a
// shared session's messages (the owner's and another node's mirror) are
// charged to its MaxTotalBufferedBytes: 20 messages of 100 bytes pass
// through nodes whose budget is 800 bytes, the budget never overdrawn and
// used while messages wait; every message arrives once, in order, and the
// budget is whole again once the client acked them all.
func TestSharedMirrorsChargeTheBudget(t *testing.T) {
	st := NewMemoryShared()
	const budget, n = 800, 20
	var rigs []*rig
	for _, name := range []string{"a", "b"} {
		rigs = append(rigs, newRig(t, burst, &Options{Shared: st, Node: name, MaxMessageBytes: 100,
			MaxTotalBufferedBytes: budget, PollHold: 200 * time.Millisecond}))
	}
	a, b := rigs[0], rigs[1]
	code, fr, _ := a.get(q(wire.ParamMode, wire.ModePollOpen), "")
	if code != 200 || len(fr) != 1 || fr[0].Kind != wire.KindWelcome {
		t.Fatalf("open: %d %+v", code, fr)
	}
	sid, key := fr[0].Welcome.SID, fr[0].Welcome.Key
	if code, _, e := a.post(q(wire.ParamMode, wire.ModeSend, wire.ParamSID, sid), key, text(1, strconv.Itoa(n))); code != 200 {
		t.Fatalf("send: %d %+v", code, e)
	}
	ack, used := uint64(0), false
	check := func() {
		t.Helper()
		for _, r := range rigs {
			u := r.h.budget.inUse()
			if u > budget {
				t.Fatalf("node %s: %d bytes charged, over the budget of %d", r.h.opts.Node, u, budget)
			}
		}
		if b.h.budget.inUse() > 0 {
			used = true
		}
	}
	for tries := 0; ack < n && tries < 200; tries++ {
		code, fr, e := b.get(q(wire.ParamMode, wire.ModePoll, wire.ParamSID, sid, wire.ParamAck, strconv.FormatUint(ack, 10)), key)
		if code != 200 {
			t.Fatalf("poll: %d %+v", code, e)
		}
		for _, f := range dataOf(fr) {
			if f.Seq != ack+1 || string(f.Data[:3]) != fmt.Sprintf("%03d", f.Seq) {
				t.Fatalf("got %d %q after %d", f.Seq, f.Data[:3], ack)
			}
			ack = f.Seq
		}
		check()
	}
	if ack != n {
		t.Fatalf("%d of %d messages", ack, n)
	}
	if !used {
		t.Fatal("the mirror's messages were never charged to its node's budget")
	}
	if code, _, e := b.get(q(wire.ParamMode, wire.ModePoll, wire.ParamSID, sid, wire.ParamAck, strconv.FormatUint(ack, 10)), key); code != 200 {
		t.Fatalf("final ack: %d %+v", code, e)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for a.h.budget.inUse() != 0 || b.h.budget.inUse() != 0 {
		if ctx.Err() != nil {
			t.Fatalf("after the last ack, still charged: %d bytes on a, %d on b", a.h.budget.inUse(), b.h.budget.inUse())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSharedMirrorsCountAgainstMaxSessions: a node's mirrors count against
// its MaxSessions; one more is a retryable 503 that names the node's limit
// (not the store), and the session lives on, served by another node.
func TestSharedMirrorsCountAgainstMaxSessions(t *testing.T) {
	st := NewMemoryShared()
	a := newRig(t, echo, &Options{Shared: st, Node: "a", PollHold: 100 * time.Millisecond})
	b := newRig(t, echo, &Options{Shared: st, Node: "b", MaxSessions: 1, PollHold: 100 * time.Millisecond})
	var sids, keys []string
	for range 2 {
		code, fr, _ := a.get(q(wire.ParamMode, wire.ModePollOpen), "")
		if code != 200 || len(fr) != 1 || fr[0].Kind != wire.KindWelcome {
			t.Fatalf("open: %d %+v", code, fr)
		}
		sids, keys = append(sids, fr[0].Welcome.SID), append(keys, fr[0].Welcome.Key)
	}
	poll := func(r *rig, i int) (int, wire.Error) {
		code, _, e := r.get(q(wire.ParamMode, wire.ModePoll, wire.ParamSID, sids[i], wire.ParamAck, "0"), keys[i])
		return code, e
	}
	if code, e := poll(b, 0); code != 200 {
		t.Fatalf("first mirror on b: %d %+v", code, e)
	}
	code, e := poll(b, 1)
	if code != 503 || !strings.Contains(e.Message, "session limit") {
		t.Fatalf("second mirror on b (MaxSessions 1): %d %+v, want 503 naming the node's limit", code, e)
	}
	if code, e := poll(a, 1); code != 200 {
		t.Fatalf("the session on a: %d %+v", code, e)
	}
}
