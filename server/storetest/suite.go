// Package storetest holds the conformance suite every server.SharedStore
// must pass.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/tether-sdk/tether/server"
)

// bound is the longest the suite waits for something a store does by time
// (a lease or a session expiring, a wake-up); past it the test fails.
const bound = 10 * time.Second

// Run runs the conformance suite against the stores newStore returns (one
// per subtest; they may share a backend: every subtest uses fresh ids).
func Run(t *testing.T, newStore func(t *testing.T) server.SharedStore) {
	tests := []struct {
		name string
		f    func(*testing.T, server.SharedStore)
	}{
		{"CreateLoad", testCreateLoad},
		{"AppendAssign", testAppendAssign},
		{"AppendClientSeq", testAppendClientSeq},
		{"Full", testFull},
		{"AppendAckIn", testAppendAckIn},
		{"Ack", testAck},
		{"Lease", testLease},
		{"Takeover", testTakeover},
		{"End", testEnd},
		{"Delete", testDelete},
		{"Expiry", testExpiry},
		{"Watch", testWatch},
		{"Sync", testSync},
		{"SyncUnowned", testSyncUnowned},
		{"Version", testVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, newStore(t)) })
	}
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create stores a fresh session and returns its id.
func create(t *testing.T, st server.SharedStore, ttl time.Duration) string {
	t.Helper()
	id := newID()
	if err := st.Create(t.Context(), server.SessionRecord{ID: id, Key: newID()}, ttl); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return id
}

func mustIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}

func state(t *testing.T, st server.SharedStore, sid string) server.SeqState {
	t.Helper()
	_, s, err := st.Load(t.Context(), sid)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

func appendN(t *testing.T, st server.SharedStore, sid string, d server.Direction, msgs ...string) {
	t.Helper()
	for _, m := range msgs {
		if _, _, err := st.Append(t.Context(), sid, d, server.StoredMessage{Data: []byte(m)}, server.AppendOptions{MaxBytes: 1 << 20}); err != nil {
			t.Fatalf("Append %q: %v", m, err)
		}
	}
}

func seqs(ms []server.StoredMessage) []uint64 {
	var out []uint64
	for _, m := range ms {
		out = append(out, m.Seq)
	}
	return out
}

func testCreateLoad(t *testing.T, st server.SharedStore) {
	ctx := t.Context()
	rec := server.SessionRecord{ID: newID(), Key: newID(), Auth: []byte("{\"user\":7}\x00\xff"), Remote: server.RemoteInfo{
		Addr: "10.0.0.1:5000", IP: netip.MustParseAddr("2001:db8::1"),
		Header: http.Header{"Accept": {"a", "b"}}, UserAgent: "ua",
	}}
	if err := st.Create(ctx, rec, time.Hour); err != nil {
		t.Fatal(err)
	}
	mustIs(t, "Create twice", st.Create(ctx, rec, time.Hour), server.ErrStoreExists)
	got, s, err := st.Load(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rec) {
		t.Fatalf("Load: got %+v, want %+v", got, rec)
	}
	if s != (server.SeqState{}) {
		t.Fatalf("state of a new session: %+v", s)
	}
	if err := st.Touch(ctx, rec.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := st.Load(ctx, rec.ID); !got.Established {
		t.Fatal("Touch did not mark the session established")
	}
	_, _, err = st.Load(ctx, newID())
	mustIs(t, "Load unknown", err, server.ErrStoreNotFound)
	mustIs(t, "Touch unknown", st.Touch(ctx, newID(), time.Hour), server.ErrStoreNotFound)
}

func testAppendAssign(t *testing.T, st server.SharedStore) {
	ctx := t.Context()
	sid := create(t, st, time.Hour)
	for i, m := range []server.StoredMessage{{Data: []byte("one")}, {Binary: true, Data: []byte{0, 1, 2}}, {Data: []byte("")}} {
		n, ok, err := st.Append(ctx, sid, server.ToClient, m, server.AppendOptions{MaxBytes: 1 << 20})
		if err != nil || !ok || n != uint64(i+1) {
			t.Fatalf("Append %d: seq %d, appended %v, %v", i, n, ok, err)
		}
	}
	ms, err := st.Read(ctx, sid, server.ToClient, 1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	want := []server.StoredMessage{{Seq: 1, Data: []byte("one")}, {Seq: 2, Binary: true, Data: []byte{0, 1, 2}}, {Seq: 3, Data: []byte{}}}
	if len(ms) != 3 {
		t.Fatalf("Read: %+v", ms)
	}
	for i := range want {
		if ms[i].Seq != want[i].Seq || ms[i].Binary != want[i].Binary || !bytes.Equal(ms[i].Data, want[i].Data) {
			t.Fatalf("Read[%d] = %+v, want %+v", i, ms[i], want[i])
		}
	}
	if ms, _ := st.Read(ctx, sid, server.ToClient, 2, 1<<20); !reflect.DeepEqual(seqs(ms), []uint64{2, 3}) {
		t.Fatalf("Read from 2: %v", seqs(ms))
	}
	if ms, _ := st.Read(ctx, sid, server.ToClient, 1, 1); !reflect.DeepEqual(seqs(ms), []uint64{1}) {
		t.Fatalf("Read with a small maxBytes returns the first message: %v", seqs(ms))
	}
	if ms, _ := st.Read(ctx, sid, server.ToClient, 4, 1<<20); len(ms) != 0 {
		t.Fatalf("Read past the end: %v", seqs(ms))
	}
	if s := state(t, st, sid); s.Out != (server.DirState{Last: 3, Bytes: 6}) || s.In != (server.DirState{}) {
		t.Fatalf("state: %+v", s)
	}
	_, _, err = st.Append(ctx, newID(), server.ToClient, server.StoredMessage{}, server.AppendOptions{MaxBytes: 1})
	mustIs(t, "Append to unknown", err, server.ErrStoreNotFound)
}

func testAppendClientSeq(t *testing.T, st server.SharedStore) {
	ctx := t.Context()
	sid := create(t, st, time.Hour)
	app := func(n uint64) (bool, error) {
		_, ok, err := st.Append(ctx, sid, server.ToServer, server.StoredMessage{Seq: n, Data: []byte("x")}, server.AppendOptions{MaxBytes: 1 << 20})
		return ok, err
	}
	if ok, err := app(1); !ok || err != nil {
		t.Fatalf("seq 1: %v %v", ok, err)
	}
	if ok, err := app(1); ok || err != nil {
		t.Fatalf("duplicate seq 1: appended %v, %v", ok, err)
	}
	_, err := app(3)
	mustIs(t, "seq 3 after 1", err, server.ErrStoreGap)
	if ok, err := app(2); !ok || err != nil {
		t.Fatalf("seq 2: %v %v", ok, err)
	}
	if s := state(t, st, sid); s.In.Last != 2 || s.Out.Last != 0 {
		t.Fatalf("state: %+v", s)
	}
}

func testFull(t *testing.T, st server.SharedStore) {
	ctx := t.Context()
	sid := create(t, st, time.Hour)
	big := server.StoredMessage{Data: bytes.Repeat([]byte("x"), 20)}
	if _, _, err := st.Append(ctx, sid, server.ToClient, big, server.AppendOptions{MaxBytes: 10}); err != nil {
		t.Fatalf("a message over maxBytes into an empty buffer: %v", err)
	}
	_, _, err := st.Append(ctx, sid, server.ToClient, big, server.AppendOptions{MaxBytes: 10})
	mustIs(t, "a second one", err, server.ErrStoreFull)
	if err := st.Ack(ctx, sid, server.ToClient, 1); err != nil {
		t.Fatal(err)
	}
	if n, _, err := st.Append(ctx, sid, server.ToClient, big, server.AppendOptions{MaxBytes: 10}); err != nil || n != 2 {
		t.Fatalf("after the ack: seq %d, %v", n, err)
	}
}

func testAck(t *testing.T, st server.SharedStore) {
	ctx := t.Context()
	sid := create(t, st, time.Hour)
	appendN(t, st, sid, server.ToClient, "a", "bb", "ccc")
	if err := st.Ack(ctx, sid, server.ToClient, 0); err != nil {
		t.Fatalf("ack 0: %v", err)
	}
	mustIs(t, "ack 4 of 3", st.Ack(ctx, sid, server.ToClient, 4), server.ErrStoreAckAhead)
	if err := st.Ack(ctx, sid, server.ToClient, 2); err != nil {
		t.Fatal(err)
	}
	if err := st.Ack(ctx, sid, server.ToClient, 1); err != nil {
		t.Fatalf("stale ack: %v", err)
	}
	if ms, _ := st.Read(ctx, sid, server.ToClient, 1, 1<<20); !reflect.DeepEqual(seqs(ms), []uint64{3}) {
		t.Fatalf("Read after ack 2: %v", seqs(ms))
	}
	if s := state(t, st, sid); s.Out != (server.DirState{Last: 3, Acked: 2, Bytes: 3}) {
		t.Fatalf("state: %+v", s)
	}
	if err := st.Ack(ctx, sid, server.ToClient, 3); err != nil {
		t.Fatal(err)
	}
	if s := state(t, st, sid); s.Out != (server.DirState{Last: 3, Acked: 3}) {
		t.Fatalf("state after acking all: %+v", s)
	}
}

func testLease(t *testing.T, st server.SharedStore) {
	ctx := t.Context()
	sid := create(t, st, time.Hour)
	a, err := st.Acquire(ctx, sid, "A", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Acquire(ctx, sid, "B", time.Hour)
	mustIs(t, "B while A holds", err, server.ErrLeaseHeld)
	if err := st.Renew(ctx, a, time.Hour); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	if _, _, err := st.Append(ctx, sid, server.ToClient, server.StoredMessage{Data: []byte("a")}, server.AppendOptions{MaxBytes: 1 << 20, Fence: a.Token}); err != nil {
		t.Fatalf("Append fenced by the live lease: %v", err)
	}
	if err := st.Release(ctx, a); err != nil {
		t.Fatal(err)
	}
	b, err := st.Acquire(ctx, sid, "B", time.Hour)
	if err != nil {
		t.Fatalf("B after A released: %v", err)
	}
	if b.Token <= a.Token {
		t.Fatalf("tokens do not increase: %d then %d", a.Token, b.Token)
	}
	mustIs(t, "Renew of a lost lease", st.Renew(ctx, a, time.Hour), server.ErrLeaseLost)
	_, _, err = st.Append(ctx, sid, server.ToClient, server.StoredMessage{Data: []byte("a")}, server.AppendOptions{MaxBytes: 1 << 20, Fence: a.Token})
	mustIs(t, "Append fenced by a lost lease", err, server.ErrLeaseLost)
	if err := st.Release(ctx, a); err != nil {
		t.Fatalf("Release of a lost lease: %v", err)
	}
	if err := st.Renew(ctx, b, time.Hour); err != nil {
		t.Fatalf("A's Release took B's lease: %v", err)
	}
	_, err = st.Acquire(ctx, newID(), "A", time.Hour)
	mustIs(t, "Acquire unknown", err, server.ErrStoreNotFound)
}

// testTakeover: node A owns a session, sends, receives, takes one message,
// and dies (stops renewing). Node B takes the session over once A's lease
// expires and finds every unacknowledged message of both directions.
func testTakeover(t *testing.T, st server.SharedStore) {
	ctx := t.Context()
	sid := create(t, st, time.Hour)
	a, err := st.Acquire(ctx, sid, "A", 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"o1", "o2", "o3"} {
		if _, _, err := st.Append(ctx, sid, server.ToClient, server.StoredMessage{Data: []byte(m)}, server.AppendOptions{MaxBytes: 1 << 20, Fence: a.Token}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Ack(ctx, sid, server.ToClient, 1); err != nil {
		t.Fatal(err)
	}
	for i, m := range []string{"i1", "i2"} {
		if _, _, err := st.Append(ctx, sid, server.ToServer, server.StoredMessage{Seq: uint64(i + 1), Data: []byte(m)}, server.AppendOptions{MaxBytes: 1 << 20}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Ack(ctx, sid, server.ToServer, 1); err != nil {
		t.Fatal(err)
	}
	var b server.Lease
	deadline := time.Now().Add(bound)
	for {
		if b, err = st.Acquire(ctx, sid, "B", time.Hour); err == nil {
			break
		}
		if !errors.Is(err, server.ErrLeaseHeld) || time.Now().After(deadline) {
			t.Fatalf("B never took over: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s := state(t, st, sid)
	if s.Out != (server.DirState{Last: 3, Acked: 1, Bytes: 4}) || s.In != (server.DirState{Last: 2, Acked: 1, Bytes: 2}) {
		t.Fatalf("state after takeover: %+v", s)
	}
	out, _ := st.Read(ctx, sid, server.ToClient, s.Out.Acked+1, 1<<20)
	in, _ := st.Read(ctx, sid, server.ToServer, s.In.Acked+1, 1<<20)
	if !reflect.DeepEqual(seqs(out), []uint64{2, 3}) || !reflect.DeepEqual(seqs(in), []uint64{2}) || string(in[0].Data) != "i2" {
		t.Fatalf("unacknowledged after takeover: out %v, in %v", seqs(out), seqs(in))
	}
	if n, _, err := st.Append(ctx, sid, server.ToClient, server.StoredMessage{Data: []byte("o4")}, server.AppendOptions{MaxBytes: 1 << 20, Fence: b.Token}); err != nil || n != 4 {
		t.Fatalf("B sends: seq %d, %v", n, err)
	}
	_, _, err = st.Append(ctx, sid, server.ToClient, server.StoredMessage{Data: []byte("late")}, server.AppendOptions{MaxBytes: 1 << 20, Fence: a.Token})
	mustIs(t, "A, back from the dead, sends", err, server.ErrLeaseLost)
}

func testEnd(t *testing.T, st server.SharedStore) {
	ctx := t.Context()
	sid := create(t, st, time.Hour)
	first := server.CloseState{Code: 4001, Reason: "bye", ByClient: true}
	if c, err := st.End(ctx, sid, first, time.Hour); err != nil || c != first {
		t.Fatalf("End: %+v %v", c, err)
	}
	if c, err := st.End(ctx, sid, server.CloseState{Code: 1001}, time.Hour); err != nil || c != first {
		t.Fatalf("second End: %+v %v, want the first", c, err)
	}
	rec, _, err := st.Load(ctx, sid)
	if err != nil || rec.Closed == nil || *rec.Closed != first {
		t.Fatalf("Load after End: %+v %v", rec.Closed, err)
	}
	_, err = st.End(ctx, newID(), first, time.Hour)
	mustIs(t, "End unknown", err, server.ErrStoreNotFound)
}

func testDelete(t *testing.T, st server.SharedStore) {
	ctx := t.Context()
	sid := create(t, st, time.Hour)
	appendN(t, st, sid, server.ToClient, "a")
	if err := st.Delete(ctx, sid); err != nil {
		t.Fatal(err)
	}
	_, _, err := st.Load(ctx, sid)
	mustIs(t, "Load after Delete", err, server.ErrStoreNotFound)
	_, _, err = st.Append(ctx, sid, server.ToClient, server.StoredMessage{}, server.AppendOptions{MaxBytes: 1})
	mustIs(t, "Append after Delete", err, server.ErrStoreNotFound)
	_, err = st.Read(ctx, sid, server.ToClient, 1, 1)
	mustIs(t, "Read after Delete", err, server.ErrStoreNotFound)
	mustIs(t, "Ack after Delete", st.Ack(ctx, sid, server.ToClient, 0), server.ErrStoreNotFound)
}

// testExpiry: a session nobody touches is gone after its TTL, messages
// included.
func testExpiry(t *testing.T, st server.SharedStore) {
	ctx := t.Context()
	sid := create(t, st, 100*time.Millisecond)
	appendN(t, st, sid, server.ToClient, "a")
	appendN(t, st, sid, server.ToServer, "b")
	deadline := time.Now().Add(bound)
	for {
		_, _, err := st.Load(ctx, sid)
		if errors.Is(err, server.ErrStoreNotFound) {
			break
		}
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("the session outlived its TTL: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, err := st.Read(ctx, sid, server.ToClient, 1, 1<<20)
	mustIs(t, "Read after expiry", err, server.ErrStoreNotFound)
}

// testWatch: a change wakes a watcher. The subscription may become active
// after Watch returns (documented), so the change is repeated until a wake
// arrives, within bound.
func testWatch(t *testing.T, st server.SharedStore) {
	ctx, cancel := context.WithTimeout(t.Context(), bound)
	defer cancel()
	sid := create(t, st, time.Hour)
	wake, stop := st.Watch(sid)
	defer stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	appendN(t, st, sid, server.ToClient, "a")
	for {
		select {
		case v := <-wake:
			if r, err := st.Sync(ctx, sid, server.SyncRequest{}); err != nil || v == 0 || v > r.Version {
				t.Fatalf("woken with version %d; the session is at %d (%v)", v, r.Version, err)
			}
			stop()
			stop() // twice is harmless
			return
		case <-tick.C:
			appendN(t, st, sid, server.ToClient, "a")
		case <-ctx.Done():
			t.Fatal("no wake-up after appends")
		}
	}
}

// testAppendAckIn: the owner's reply and its taking of the message it
// answers are one step; a retried reply (duplicate) still acks.
func testAppendAckIn(t *testing.T, st server.SharedStore) {
	ctx := t.Context()
	sid := create(t, st, time.Hour)
	for i, m := range []string{"q1", "q2"} {
		if _, _, err := st.Append(ctx, sid, server.ToServer, server.StoredMessage{Seq: uint64(i + 1), Data: []byte(m)}, server.AppendOptions{MaxBytes: 1 << 20}); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := st.Append(ctx, sid, server.ToClient, server.StoredMessage{Seq: 1, Data: []byte("r")}, server.AppendOptions{MaxBytes: 1 << 20, AckIn: 3})
	mustIs(t, "AckIn past the last message", err, server.ErrStoreAckAhead)
	if s := state(t, st, sid); s.Out.Last != 0 || s.In.Acked != 0 {
		t.Fatalf("a refused Append changed the state: %+v", s)
	}
	if n, ok, err := st.Append(ctx, sid, server.ToClient, server.StoredMessage{Seq: 1, Data: []byte("r1")}, server.AppendOptions{MaxBytes: 1 << 20, AckIn: 1}); err != nil || !ok || n != 1 {
		t.Fatalf("reply 1: %d %v %v", n, ok, err)
	}
	if s := state(t, st, sid); s.In != (server.DirState{Last: 2, Acked: 1, Bytes: 2}) {
		t.Fatalf("after reply 1: %+v", s.In)
	}
	if _, ok, err := st.Append(ctx, sid, server.ToClient, server.StoredMessage{Seq: 1, Data: []byte("r1")}, server.AppendOptions{MaxBytes: 1 << 20, AckIn: 2}); err != nil || ok {
		t.Fatalf("a retried reply: appended %v, %v", ok, err)
	}
	if s := state(t, st, sid); s.In != (server.DirState{Last: 2, Acked: 2}) || s.Out.Last != 1 {
		t.Fatalf("after the retry: %+v", s)
	}
}

// testSync: one Sync stores the client's ack and a touch and returns the
// state and the new messages to the client; an ack ahead or an unknown
// session is an error, a From past the last message reads nothing.
func testSync(t *testing.T, st server.SharedStore) {
	ctx := t.Context()
	sid := create(t, st, time.Hour)
	appendN(t, st, sid, server.ToClient, "a", "bb", "ccc")
	appendN(t, st, sid, server.ToServer, "q")
	r, err := st.Sync(ctx, sid, server.SyncRequest{From: 1, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if r.Established || r.Closed != nil || !reflect.DeepEqual(seqs(r.Out), []uint64{1, 2, 3}) ||
		r.State.Out != (server.DirState{Last: 3, Bytes: 6}) || r.State.In != (server.DirState{Last: 1, Bytes: 1}) {
		t.Fatalf("first Sync: %+v", r)
	}
	if r, err = st.Sync(ctx, sid, server.SyncRequest{Ack: 2, Touch: time.Hour, From: 3, MaxBytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	if !r.Established || !reflect.DeepEqual(seqs(r.Out), []uint64{3}) || string(r.Out[0].Data) != "ccc" ||
		r.State.Out != (server.DirState{Last: 3, Acked: 2, Bytes: 3}) {
		t.Fatalf("Sync with ack 2 and a touch: %+v", r)
	}
	if s := state(t, st, sid); s.Out != (server.DirState{Last: 3, Acked: 2, Bytes: 3}) {
		t.Fatalf("the ack was not stored: %+v", s)
	}
	if r, err = st.Sync(ctx, sid, server.SyncRequest{Ack: 1, From: 4, MaxBytes: 1 << 20}); err != nil || len(r.Out) != 0 || r.State.Out.Acked != 2 {
		t.Fatalf("stale ack, From past the last: %+v %v", r, err)
	}
	if r, err = st.Sync(ctx, sid, server.SyncRequest{From: 1, MaxBytes: 1}); err != nil || !reflect.DeepEqual(seqs(r.Out), []uint64{3}) {
		t.Fatalf("From before the acked ones: %+v %v", r, err)
	}
	_, err = st.Sync(ctx, sid, server.SyncRequest{Ack: 4})
	mustIs(t, "ack 4 of 3", err, server.ErrStoreAckAhead)
	_, err = st.Sync(ctx, newID(), server.SyncRequest{From: 1})
	mustIs(t, "Sync unknown", err, server.ErrStoreNotFound)
	first := server.CloseState{Code: 4001, Reason: "bye"}
	if _, err := st.End(ctx, sid, first, time.Hour); err != nil {
		t.Fatal(err)
	}
	if r, err = st.Sync(ctx, sid, server.SyncRequest{Touch: time.Hour}); err != nil || r.Closed == nil || *r.Closed != first {
		t.Fatalf("Sync after End: %+v %v", r, err)
	}
}

// testSyncUnowned: with SyncRequest.Owner, SyncResult.Unowned says whether
// Acquire would succeed: true with no lease, false while a live lease is
// held, true again once it is released or expired. Without Owner it is
// always false.
func testSyncUnowned(t *testing.T, st server.SharedStore) {
	ctx := t.Context()
	sid := create(t, st, time.Hour)
	unowned := func(what string, owner, want bool) {
		t.Helper()
		r, err := st.Sync(ctx, sid, server.SyncRequest{Owner: owner})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if r.Unowned != want {
			t.Fatalf("%s, Owner %v: Unowned %v, want %v", what, owner, r.Unowned, want)
		}
	}
	unowned("no lease yet", true, true)
	unowned("no lease yet", false, false)
	a, err := st.Acquire(ctx, sid, "A", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	unowned("A's lease held", true, false)
	unowned("A's lease held", false, false)
	if err := st.Renew(ctx, a, time.Hour); err != nil {
		t.Fatal(err)
	}
	unowned("A's lease renewed", true, false)
	if err := st.Release(ctx, a); err != nil {
		t.Fatal(err)
	}
	unowned("A's lease released", true, true)
	unowned("A's lease released", false, false)
	b, err := st.Acquire(ctx, sid, "B", 100*time.Millisecond)
	if err != nil {
		t.Fatalf("Acquire after the release: %v", err)
	}
	// B's lease expires: Unowned turns true (the suite waits up to bound,
	// asserting nothing about how soon), and Acquire then succeeds.
	deadline := time.Now().Add(bound)
	for {
		r, err := st.Sync(ctx, sid, server.SyncRequest{Owner: true})
		if err != nil {
			t.Fatal(err)
		}
		if r.Unowned {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B's lease of 100ms still held after %v", bound)
		}
		time.Sleep(20 * time.Millisecond)
	}
	unowned("B's lease expired", false, false)
	if _, err := st.Acquire(ctx, sid, "C", time.Hour); err != nil {
		t.Fatalf("Acquire once Unowned said so: %v", err)
	}
	unowned("C's lease held", true, false)
	if err := st.Release(ctx, b); err != nil {
		t.Fatalf("Release of the expired lease: %v", err)
	}
	unowned("B's stale Release", true, false)
	_, err = st.Sync(ctx, newID(), server.SyncRequest{Owner: true})
	mustIs(t, "Sync unknown, Owner", err, server.ErrStoreNotFound)
}

// testVersion: every change adds one to the session's version, which
// Append (AppendOptions.Version) and Sync report; what changes nothing
// leaves it.
func testVersion(t *testing.T, st server.SharedStore) {
	ctx := t.Context()
	sid := create(t, st, time.Hour)
	version := func() uint64 {
		t.Helper()
		r, err := st.Sync(ctx, sid, server.SyncRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Version
	}
	if v := version(); v != 0 {
		t.Fatalf("a new session's version: %d", v)
	}
	var v uint64
	o := server.AppendOptions{MaxBytes: 1 << 20, Version: &v}
	if _, _, err := st.Append(ctx, sid, server.ToClient, server.StoredMessage{Data: []byte("a")}, o); err != nil || v != 1 || version() != 1 {
		t.Fatalf("after an append: %d (%v)", v, err)
	}
	if _, _, err := st.Append(ctx, sid, server.ToServer, server.StoredMessage{Seq: 1, Data: []byte("q")}, o); err != nil || v != 2 {
		t.Fatalf("after the client's append: %d (%v)", v, err)
	}
	if _, ok, err := st.Append(ctx, sid, server.ToServer, server.StoredMessage{Seq: 1, Data: []byte("q")}, o); err != nil || ok || v != 2 || version() != 2 {
		t.Fatalf("a duplicate changed the version: %d (%v)", v, err)
	}
	if err := st.Ack(ctx, sid, server.ToServer, 1); err != nil || version() != 3 {
		t.Fatalf("after an ack: %d (%v)", version(), err)
	}
	if err := st.Ack(ctx, sid, server.ToServer, 1); err != nil || version() != 3 {
		t.Fatalf("a stale ack changed the version: %d (%v)", version(), err)
	}
	if r, err := st.Sync(ctx, sid, server.SyncRequest{Ack: 1}); err != nil || r.Version != 4 {
		t.Fatalf("Sync storing an ack: %+v (%v)", r, err)
	}
	l, err := st.Acquire(ctx, sid, "n", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Release(ctx, l); err != nil || version() != 5 {
		t.Fatalf("after a release: %d (%v)", version(), err)
	}
	if _, err := st.End(ctx, sid, server.CloseState{Code: 4000}, time.Hour); err != nil || version() != 6 {
		t.Fatalf("after the end: %d (%v)", version(), err)
	}
}
