package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

const testAttempt = "Zp4rD0nYc1mE7uVh9sKxLg"

// cancel posts ?tether=cancel&tether_attempt=id and returns the status.
func (r *rig) cancel(id string) int {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.url(q(wire.ParamMode, wire.ModeCancel, wire.ParamAttempt, id)), nil)
	resp, err := r.client.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// nextNonAck is the stream's next frame that is not an ack or a ping.
func nextNonAck(t *testing.T, st *sseStream) wire.Frame {
	t.Helper()
	for {
		if f := st.next(t); f.Kind != wire.KindAck && f.Kind != wire.KindPing {
			return f
		}
	}
}

// 4.8 (issue 15): a client that gives up a new-session attach before its
// welcome (an SSE stream a buffering proxy holds back) cancels it by its
// attempt id: the session ends at once instead of at its ttl.
func TestCancelAttemptEndsItsSession(t *testing.T) {
	r := newRig(t, echo, nil)
	st, code := r.openSSE(q(wire.ParamMode, wire.ModeSSE, wire.ParamAttempt, testAttempt), "")
	if code != 200 {
		t.Fatalf("attach: %d", code)
	}
	w := st.next(t)
	if w.Kind != wire.KindWelcome {
		t.Fatalf("first frame %s", w.Kind)
	}
	if code := r.cancel(testAttempt); code != http.StatusNoContent {
		t.Fatalf("cancel: %d", code)
	}
	if f := nextNonAck(t, st); f.Kind != wire.KindClose {
		t.Fatalf("after the cancel the stream sent %s, want a close", f.Kind)
	}
	s := r.h.opts.Store.Get(w.Welcome.SID)
	if s == nil {
		return // already removed
	}
	s.mu.Lock()
	ended := s.ended
	s.mu.Unlock()
	if ended == nil {
		t.Fatal("the session still lives after its attempt was cancelled")
	}
}

// A cancel that arrives before its attach (the attach queued in a proxy)
// is remembered: the session the attach then creates ends at once.
func TestCancelBeforeAttachEndsTheSessionAtOnce(t *testing.T) {
	r := newRig(t, echo, nil)
	if code := r.cancel(testAttempt); code != http.StatusNoContent {
		t.Fatalf("cancel: %d", code)
	}
	st, code := r.openSSE(q(wire.ParamMode, wire.ModeSSE, wire.ParamAttempt, testAttempt), "")
	if code != 200 {
		t.Fatalf("attach: %d", code)
	}
	if f := st.next(t); f.Kind != wire.KindWelcome {
		t.Fatalf("first frame %s", f.Kind)
	}
	if f := nextNonAck(t, st); f.Kind != wire.KindClose {
		t.Fatalf("the cancelled attempt's stream sent %s, want a close", f.Kind)
	}
}

// A session the client claimed (a request with its key came: it has the
// welcome) is not ended by its attempt's cancel: an attempt id seen in a
// URL by a proxy cannot end a session in use.
func TestCancelLeavesAClaimedSession(t *testing.T) {
	r := newRig(t, echo, nil)
	st, _ := r.openSSE(q(wire.ParamMode, wire.ModeSSE, wire.ParamAttempt, testAttempt), "")
	w := st.next(t).Welcome
	send := q(wire.ParamMode, wire.ModeSend, wire.ParamSID, w.SID)
	if code, _, e := r.post(send, w.Key, text(1, "one")); code != 200 {
		t.Fatalf("send: %d %v", code, e)
	}
	if code := r.cancel(testAttempt); code != http.StatusNoContent {
		t.Fatalf("cancel: %d", code)
	}
	if code, _, e := r.post(send, w.Key, text(2, "two")); code != 200 {
		t.Fatalf("send after the cancel: %d %v", code, e)
	}
	want(t, st.nextData(t), wire.KindText, 1, "one")
	want(t, st.nextData(t), wire.KindText, 2, "two")
}

// A cancel without a well-formed attempt id is bad_request; a GET is too.
func TestCancelMalformed(t *testing.T) {
	r := newRig(t, echo, nil)
	for _, id := range []string{"", "short", "has spaces in it, sixteen+", string(make([]byte, 65))} {
		if code := r.cancel(id); code != http.StatusBadRequest {
			t.Errorf("cancel %q: %d, want 400", id, code)
		}
	}
	if code, _, _ := r.get(q(wire.ParamMode, wire.ModeCancel, wire.ParamAttempt, testAttempt), ""); code != http.StatusBadRequest {
		t.Errorf("GET cancel: %d, want 400", code)
	}
}

// The attempt ids remembered are bounded in number and in time.
func TestAttemptsBounded(t *testing.T) {
	var a attempts
	now := time.Unix(1000, 0)
	for i := 0; i < maxAttempts+10; i++ {
		a.cancel(validID(i), now)
		a.register(validID(-i-1), &Session{}, now)
	}
	if n := a.tombs.count(); n > maxAttempts {
		t.Fatalf("%d cancelled ids remembered, bound %d", n, maxAttempts)
	}
	if n := a.live.count(); n > maxAttempts {
		t.Fatalf("%d attempts' sessions remembered, bound %d", n, maxAttempts)
	}
	a.cancel(validID(-1<<20), now.Add(attemptTTL))
	if l, c := a.live.count(), a.tombs.count(); l != 0 || c != 1 {
		t.Fatalf("after attemptTTL %d sessions and %d cancelled ids remembered, want 0 and 1", l, c)
	}
	if len(a.live.order) != 0 || len(a.tombs.order) != 1 {
		t.Fatalf("after attemptTTL the order lists hold %d and %d entries, want 0 and 1", len(a.live.order), len(a.tombs.order))
	}
}

// A flood of cancels with made-up ids (any well-formed id is accepted)
// evicts only other cancels: the session an attempt created can still be
// cancelled by its client afterwards.
func TestCancelFloodKeepsSessions(t *testing.T) {
	var a attempts
	now := time.Unix(1000, 0)
	s := &Session{}
	if !a.register(testAttempt, s, now) {
		t.Fatal("register refused a new attempt")
	}
	for i := 0; i < 2*maxAttempts; i++ {
		a.cancel(validID(i), now)
	}
	if got := a.cancel(testAttempt, now); got != s {
		t.Fatalf("after %d made-up cancels the real cancel found %p, want the attempt's session %p", 2*maxAttempts, got, s)
	}
	if a.register(testAttempt, &Session{}, now) {
		t.Fatal("an attach reusing a cancelled attempt id was accepted")
	}
}

// An id added again after its first record left (a cancelled attempt's
// id reused once its tombstone was evicted) is not forgotten when the
// first record's order entry expires.
func TestAttemptReaddedOutlivesOldEntry(t *testing.T) {
	var a attempts
	t0 := time.Unix(1000, 0)
	a.register(testAttempt, &Session{}, t0)
	a.cancel(testAttempt, t0)
	delete(a.tombs.m, testAttempt) // as an eviction would
	s := &Session{}
	t1 := t0.Add(attemptTTL / 2)
	if !a.register(testAttempt, s, t1) {
		t.Fatal("register refused")
	}
	if got := a.cancel(testAttempt, t0.Add(attemptTTL)); got != s {
		t.Fatalf("the first record's expiry forgot the second: cancel found %p, want %p", got, s)
	}
}

func validID(i int) string {
	const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
	b := []byte("attempt-00000000")
	u := uint32(i)
	for j := len(b) - 1; j >= len(b)-7; j-- {
		b[j] = digits[u%32]
		u /= 32
	}
	return string(b)
}
