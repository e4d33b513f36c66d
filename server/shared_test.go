package server

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/wire"
)

// nodes is N Handlers sharing one SharedStore: N server nodes behind a
// balancer with no stickiness.
type nodes struct {
	rigs  []*rig
	store *MemoryShared
	next  atomic.Int64
}

func newNodes(t *testing.T, n int, st SharedStore, o Options) *nodes {
	ns := &nodes{}
	if st == nil {
		ns.store = NewMemoryShared()
		st = ns.store
	}
	for i := range n {
		oi := o
		oi.Shared = st
		oi.Node = "node" + strconv.Itoa(i)
		if oi.PollHold == 0 {
			oi.PollHold = 200 * time.Millisecond
		}
		ns.rigs = append(ns.rigs, newRig(t, echo, &oi))
	}
	return ns
}

// rr is the next node, round-robin.
func (ns *nodes) rr() *rig { return ns.rigs[int(ns.next.Add(1)-1)%len(ns.rigs)] }

// TestSharedLongPollRoundRobin: every request of a long-polling session
// lands on another node; every message comes back once, in order.
func TestSharedLongPollRoundRobin(t *testing.T) {
	ns := newNodes(t, 3, nil, Options{})
	code, fr, _ := ns.rr().get(q(wire.ParamMode, wire.ModePollOpen), "")
	if code != 200 || len(fr) != 1 || fr[0].Kind != wire.KindWelcome {
		t.Fatalf("open: %d %+v", code, fr)
	}
	sid, key := fr[0].Welcome.SID, fr[0].Welcome.Key
	const n = 30
	var got []wire.Frame
	ack := uint64(0)
	for i := 1; i <= n; i++ {
		send := q(wire.ParamMode, wire.ModeSend, wire.ParamSID, sid)
		if code, ans, e := ns.rr().post(send, key, text(uint64(i), "m"+strconv.Itoa(i))); code != 200 || ans[0].Seq != uint64(i) {
			t.Fatalf("send %d: %d %+v %+v", i, code, ans, e)
		}
	}
	for tries := 0; len(got) < n && tries < 200; tries++ {
		code, fr, e := ns.rr().get(q(wire.ParamMode, wire.ModePoll, wire.ParamSID, sid, wire.ParamAck, strconv.FormatUint(ack, 10)), key)
		if code != 200 {
			t.Fatalf("poll: %d %+v", code, e)
		}
		for _, f := range dataOf(fr) {
			if f.Seq != ack+1 {
				t.Fatalf("got seq %d after %d", f.Seq, ack)
			}
			ack = f.Seq
			got = append(got, f)
		}
	}
	if len(got) != n {
		t.Fatalf("got %d of %d echoes", len(got), n)
	}
	for i, f := range got {
		if string(f.Data) != "m"+strconv.Itoa(i+1) {
			t.Fatalf("echo %d: %q", i+1, f.Data)
		}
	}
}

// TestSharedSSEAndSendsOnOtherNodes: the SSE stream on one node carries the
// echoes of sends posted to the others.
func TestSharedSSEAndSendsOnOtherNodes(t *testing.T) {
	ns := newNodes(t, 3, nil, Options{})
	st, code := ns.rigs[0].openSSE(q(wire.ParamMode, wire.ModeSSE), "")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	defer st.resp.Body.Close()
	w := st.next(t)
	sid, key := w.Welcome.SID, w.Welcome.Key
	for i := 1; i <= 6; i++ {
		send := q(wire.ParamMode, wire.ModeSend, wire.ParamSID, sid)
		if code, _, e := ns.rigs[1+i%2].post(send, key, text(uint64(i), "s"+strconv.Itoa(i))); code != 200 {
			t.Fatalf("send %d: %d %+v", i, code, e)
		}
	}
	for i := 1; i <= 6; i++ {
		want(t, st.nextData(t), wire.KindText, uint64(i), "s"+strconv.Itoa(i))
	}
}

// TestSharedHandover: the node that owns a session shuts down; its
// WebSocket closes with 1001, the client resumes on another node, which
// takes the session over: nothing lost, seqs go on.
func TestSharedHandover(t *testing.T) {
	ns := newNodes(t, 2, nil, Options{})
	a, b := ns.rigs[0], ns.rigs[1]
	c, _, err := a.dialWS(nil)
	if err != nil {
		t.Fatal(err)
	}
	wsWrite(t, c, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: wire.Version}})
	w := wsRead(t, c)
	sid, key := w.Welcome.SID, w.Welcome.Key
	wsWrite(t, c, text(1, "one"))
	want(t, wsReadData(t, c), wire.KindText, 1, "one")
	wsWrite(t, c, wire.Frame{Kind: wire.KindAck, Seq: 1})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.h.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != wire.CloseGoingAway {
				t.Fatalf("the owner's shutdown closed the WebSocket with %v, want 1001", err)
			}
			break
		}
	}
	c.Close()

	c2, _, err := b.dialWS(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	wsWrite(t, c2, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: wire.Version, SID: sid, Key: key, Ack: 1}})
	w = wsRead(t, c2)
	if w.Kind != wire.KindWelcome || !w.Welcome.Resumed || w.Welcome.Ack != 1 {
		t.Fatalf("resume on the other node: %+v", w)
	}
	wsWrite(t, c2, text(2, "two"))
	want(t, wsReadData(t, c2), wire.KindText, 2, "two")
}

// TestSharedSessionLostWithTheStore: a session the store no longer has
// (Redis restarted empty) is session_not_found, which the client reports
// (SessionLostEvent) with its unacknowledged messages: never a silent loss.
func TestSharedSessionLostWithTheStore(t *testing.T) {
	ns := newNodes(t, 2, nil, Options{})
	code, fr, _ := ns.rigs[0].get(q(wire.ParamMode, wire.ModePollOpen), "")
	if code != 200 {
		t.Fatalf("open: %d", code)
	}
	sid, key := fr[0].Welcome.SID, fr[0].Welcome.Key
	ns.store.Delete(t.Context(), sid)
	for _, r := range ns.rigs {
		code, _, e := r.post(q(wire.ParamMode, wire.ModeSend, wire.ParamSID, sid), key, text(1, "x"))
		if code != 410 || e.Code != wire.CodeSessionNotFound {
			t.Fatalf("send after the store lost the session: %d %+v", code, e)
		}
	}
}

// flakyStore fails every operation with ErrStoreUnavailable while down.
type flakyStore struct {
	SharedStore
	down atomic.Bool
}

func (f *flakyStore) err() error {
	if f.down.Load() {
		return errors.Join(ErrStoreUnavailable, errors.New("test: the store is down"))
	}
	return nil
}

func (f *flakyStore) Load(ctx context.Context, sid string) (SessionRecord, SeqState, error) {
	if err := f.err(); err != nil {
		return SessionRecord{}, SeqState{}, err
	}
	return f.SharedStore.Load(ctx, sid)
}

func (f *flakyStore) Append(ctx context.Context, sid string, d Direction, m StoredMessage, o AppendOptions) (uint64, bool, error) {
	if err := f.err(); err != nil {
		return 0, false, err
	}
	return f.SharedStore.Append(ctx, sid, d, m, o)
}

// TestSharedStoreUnavailable: while the store is away requests get a
// retryable 503 (not session_not_found: the session is not lost), and the
// service comes back with the store.
func TestSharedStoreUnavailable(t *testing.T) {
	fs := &flakyStore{SharedStore: NewMemoryShared()}
	ns := newNodes(t, 2, fs, Options{})
	code, fr, _ := ns.rigs[0].get(q(wire.ParamMode, wire.ModePollOpen), "")
	if code != 200 {
		t.Fatalf("open: %d", code)
	}
	sid, key := fr[0].Welcome.SID, fr[0].Welcome.Key
	send := q(wire.ParamMode, wire.ModeSend, wire.ParamSID, sid)
	fs.down.Store(true)
	for _, r := range ns.rigs {
		code, _, e := r.post(send, key, text(1, "x"))
		if code != 503 || e.Code != wire.CodeInternal || e.Retry == 0 {
			t.Fatalf("send with the store down: %d %+v", code, e)
		}
	}
	fs.down.Store(false)
	if code, ans, e := ns.rigs[1].post(send, key, text(1, "x")); code != 200 || ans[0].Seq != 1 {
		t.Fatalf("send once the store is back: %d %+v %+v", code, ans, e)
	}
}

// TestSharedTakeoverFromADeadNode: a node started a session, acknowledged a
// message from the client, had its application send one, and died (its
// lease is left to expire). The client resumes on another node: it gets the
// pending message at once, and once the lease expired that node takes the
// session over and its application receives the message the dead node
// acknowledged: nothing lost.
func TestSharedTakeoverFromADeadNode(t *testing.T) {
	ns := newNodes(t, 1, nil, Options{})
	st, ctx := ns.store, t.Context()
	sid, key := randomToken(), randomToken()
	if err := st.Create(ctx, SessionRecord{ID: sid, Key: key, Established: true}, time.Hour); err != nil {
		t.Fatal(err)
	}
	dead, err := st.Acquire(ctx, sid, "dead", 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Append(ctx, sid, ToClient, StoredMessage{Data: []byte("pending")}, AppendOptions{MaxBytes: 1 << 20, Fence: dead.Token}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Append(ctx, sid, ToServer, StoredMessage{Seq: 1, Data: []byte("early")}, AppendOptions{MaxBytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	c, _, err := ns.rigs[0].dialWS(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wsWrite(t, c, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: wire.Version, SID: sid, Key: key}})
	w := wsRead(t, c)
	if w.Kind != wire.KindWelcome || !w.Welcome.Resumed || w.Welcome.Ack != 1 {
		t.Fatalf("resume: %+v", w)
	}
	want(t, wsReadData(t, c), wire.KindText, 1, "pending")
	want(t, wsReadData(t, c), wire.KindText, 2, "early") // echoed by the node that took over
	wsWrite(t, c, text(2, "late"))
	want(t, wsReadData(t, c), wire.KindText, 3, "late")
	if err := st.Renew(ctx, dead, time.Hour); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("the dead node's lease: %v, want ErrLeaseLost", err)
	}
}
