package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/tether-sdk/tether/internal/wire"
)

// TestBudgetReleaseWakesOnlyWhomItServes: 200 sessions whose clients never
// read, each with the application's Send blocked on a spent budget (800
// bytes, messages of 100). A legitimate client's ack that frees one
// message's bytes lets exactly one of those Sends through, and costs the
// budget a constant number of calls, not one per blocked Send: a release
// wakes only the waiter it serves.
func TestBudgetReleaseWakesOnlyWhomItServes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const budget, feeds = 800, 200
		payload := []byte(strings.Repeat("x", 100))
		var sent atomic.Int64
		serve := func(s *Session) {
			if s.Remote().IP.String() == "192.0.2.1" { // the legitimate client: 8 messages fill the budget
				for range budget / len(payload) {
					if s.Send(s.Context(), Message{Data: payload}) != nil {
						return
					}
				}
				<-s.Context().Done()
				return
			}
			for s.Send(s.Context(), Message{Data: payload}) == nil { // a feed to a client that never reads
				sent.Add(1)
			}
		}
		h := NewHandler(serve, &Options{MaxMessageBytes: 100, MaxTotalBufferedBytes: budget, MaxSessionsPerAddr: -1, NewSessionRate: -1})
		t.Cleanup(func() { stopNodes(t, h) })
		legit := welcomeOf(t, call(h, "GET", pollOpen, "192.0.2.1:1", nil))
		synctest.Wait()
		for i := range feeds {
			call(h, "GET", pollOpen, "198.51.100."+strconv.Itoa(i%250+1)+":1", nil)
		}
		synctest.Wait()
		if u := h.budget.inUse(); u != budget || sent.Load() != 0 {
			t.Fatalf("budget in use %d, %d feed messages sent: want %d and 0", u, sent.Load(), budget)
		}
		before := h.budget.calls()
		rec := call(h, "GET", "/live?tether=poll&tether_v=1&tether_hold=0&tether_ack=1&tether_sid="+legit.SID, "192.0.2.1:1",
			http.Header{wire.HeaderKey: {legit.Key}})
		if rec.Code != 200 {
			t.Fatalf("poll: %d %s", rec.Code, rec.Body)
		}
		synctest.Wait()
		calls := h.budget.calls() - before
		t.Logf("one release of %d bytes with %d Sends waiting: %d budget calls, %d Sends returned", len(payload), feeds, calls, sent.Load())
		if sent.Load() != 1 {
			t.Errorf("%d Sends returned after one message's bytes were freed, want 1", sent.Load())
		}
		if calls > 4 {
			t.Errorf("one release cost %d budget calls with %d Sends waiting: want a constant few, not one per waiter", calls, feeds)
		}
		shutdown(t, h)
		if u := h.budget.inUse(); u != 0 {
			t.Fatalf("%d bytes charged once every session ended", u)
		}
	})
}

// spentBudget starts one session on a Handler whose budget (800 bytes) the
// test itself has spent, and returns it.
func spentBudget(t *testing.T) (*Handler, *Session) {
	t.Helper()
	got := make(chan *Session, 1)
	h := NewHandler(func(s *Session) { got <- s; <-s.Context().Done() }, &Options{MaxMessageBytes: 100, MaxTotalBufferedBytes: 800})
	t.Cleanup(func() { stopNodes(t, h) }) // also after a failure: no goroutine left blocked in the bubble
	call(h, "GET", pollOpen, "192.0.2.1:1", nil)
	s := <-got
	if !h.budget.tryTake(800) {
		t.Fatal("could not spend the budget")
	}
	return h, s
}

// A Send or a client's message waiting for the budget that gives up (its
// ctx, the session's end, the transport stopped) leaves the budget's queue:
// nothing waits, nothing stays charged.
func TestBudgetWaitEnds(t *testing.T) {
	frame := &wire.Frame{Kind: wire.KindText, Seq: 1, Data: []byte(strings.Repeat("y", 100))}
	for _, c := range []struct {
		name string
		wait func(ctx context.Context, s *Session, stop <-chan struct{}) error
		end  string // ctx, close or stop
		want error
	}{
		{"send/ctx", sendWait, "ctx", context.Canceled},
		{"send/closed", sendWait, "close", ErrClosed},
		{"deliver/ctx", deliverWait(frame), "ctx", context.Canceled},
		{"deliver/closed", deliverWait(frame), "close", nil},
		{"deliver/stopped", deliverWait(frame), "stop", errStopped},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h, s := spentBudget(t)
				ctx, cancel := context.WithCancel(t.Context())
				stop, done := make(chan struct{}), make(chan error, 1)
				go func() { done <- c.wait(ctx, s, stop) }()
				synctest.Wait()
				if w := h.budget.waiting(); w != 1 {
					t.Fatalf("%d waiting for the budget, want 1", w)
				}
				switch c.end {
				case "ctx":
					cancel()
				case "close":
					s.Close(4000, "bye")
				case "stop":
					close(stop)
				}
				synctest.Wait()
				if err := <-done; !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
					t.Fatalf("the wait ended with %v, want %v", err, c.want)
				}
				if w, u := h.budget.waiting(), h.budget.inUse(); w != 0 || u != 800 {
					t.Fatalf("%d waiting, %d in use after the wait ended: want 0 and the test's 800", w, u)
				}
				cancel()
				h.budget.release(800)
				shutdown(t, h)
				if u := h.budget.inUse(); u != 0 {
					t.Fatalf("%d bytes charged once the session ended", u)
				}
			})
		})
	}
}

func sendWait(ctx context.Context, s *Session, _ <-chan struct{}) error {
	return s.Send(ctx, Message{Data: []byte(strings.Repeat("x", 100))})
}

func deliverWait(f *wire.Frame) func(ctx context.Context, s *Session, stop <-chan struct{}) error {
	return func(ctx context.Context, s *Session, stop <-chan struct{}) error { return s.deliver(ctx, stop, f) }
}

// A waiter the budget granted its bytes to, but which takes another path
// (the session ended in the same step), gives the bytes back: they go to the
// next waiter, and none stay charged to nobody.
func TestBudgetGrantedThenEnded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, s := spentBudget(t)
		other := spentBudgetSession(t, h, "192.0.2.2:1")
		done, next := make(chan error, 1), make(chan error, 1)
		go func() { done <- sendWait(t.Context(), s, nil) }()
		synctest.Wait()
		go func() { next <- sendWait(t.Context(), other, nil) }()
		synctest.Wait()
		if w := h.budget.waiting(); w != 2 {
			t.Fatalf("%d waiting, want 2", w)
		}
		s.mu.Lock()
		h.budget.release(100) // granted to s's Send, the first in line ...
		s.ended = &CloseError{Code: 4000}
		s.finishLocked(h.closeGrace()) // ... which finds the session ended
		s.mu.Unlock()
		synctest.Wait()
		if err := <-done; !errors.Is(err, ErrClosed) {
			t.Fatalf("Send on the ended session: %v, want ErrClosed", err)
		}
		if err := <-next; err != nil {
			t.Fatalf("the next Send, given the bytes back: %v", err)
		}
		other.mu.Lock()
		held := other.held
		other.mu.Unlock()
		if w, u := h.budget.waiting(), h.budget.inUse(); w != 0 || u != 700+held || held != 100 {
			t.Fatalf("%d waiting, %d in use, the other session charged %d: want 0, 800, 100", w, u, held)
		}
		h.budget.release(700)
		shutdown(t, h)
		if u := h.budget.inUse(); u != 0 {
			t.Fatalf("%d bytes charged once the sessions ended", u)
		}
	})
}

// spentBudgetSession starts one more session on h (made by spentBudget).
func spentBudgetSession(t *testing.T, h *Handler, remote string) *Session {
	t.Helper()
	before := map[*Session]bool{}
	for _, s := range h.opts.Store.All() {
		before[s] = true
	}
	call(h, "GET", pollOpen, remote, nil)
	for _, s := range h.opts.Store.All() {
		if !before[s] {
			return s
		}
	}
	t.Fatal("no new session")
	return nil
}

// A send request's body is charged when it fits, though a waiter for more
// than the budget has free is queued: a client acks in send requests (an
// SSE client, always), and refused behind the waiters its acks could never
// free their bytes.
func TestBudgetSendBodyPassesTheQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, s := spentBudget(t)
		h.budget.release(50) // 50 free: not enough for a message of 100
		other := spentBudgetSession(t, h, "192.0.2.2:1")
		done := make(chan error, 1)
		go func() { done <- sendWait(t.Context(), other, nil) }()
		synctest.Wait()
		if w := h.budget.waiting(); w != 1 {
			t.Fatalf("%d waiting for the budget, want 1", w)
		}
		body, _ := wire.AppendJSONBatch(nil, []wire.Frame{{Kind: wire.KindAck, Seq: 0}})
		req := httptest.NewRequest(http.MethodPost, "/live?tether=send&tether_v=1&tether_sid="+s.id, bytes.NewReader(body))
		req.RemoteAddr = "192.0.2.1:1"
		req.Header.Set(wire.HeaderKey, s.key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("a send of %d bytes with 50 free and a Send of 100 waiting: %d %s", len(body), rec.Code, rec.Body)
		}
		if u, w := h.budget.inUse(), h.budget.waiting(); u != 750 || w != 1 {
			t.Fatalf("after the send request: %d in use, %d waiting; want 750 and 1", u, w)
		}
		h.budget.release(50)
		synctest.Wait()
		if err := <-done; err != nil {
			t.Fatalf("the waiting Send, once 100 bytes were free: %v", err)
		}
		h.budget.release(700)
		stopNodes(t, h)
		if u := h.budget.inUse(); u != 0 {
			t.Fatalf("%d bytes charged once the sessions ended", u)
		}
	})
}

// TestBudgetReleaseWakesOneDeliver: as for Send, 200 client messages
// waiting for a spent budget (one per session) cost a release of one
// message's bytes a constant number of budget calls, and one of them is
// delivered; given up (ctx), none is left waiting.
func TestBudgetReleaseWakesOneDeliver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const budget, sessions = 800, 200
		h := NewHandler(idle, &Options{MaxMessageBytes: 100, MaxTotalBufferedBytes: budget, MaxSessionsPerAddr: -1, NewSessionRate: -1})
		t.Cleanup(func() { stopNodes(t, h) })
		for range sessions {
			call(h, "GET", pollOpen, "192.0.2.1:1", nil)
		}
		if !h.budget.tryTake(budget) {
			t.Fatal("could not spend the budget")
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var delivered atomic.Int64
		errs := make(chan error, sessions)
		for _, s := range h.opts.Store.All() {
			go func() {
				err := s.deliver(ctx, nil, &wire.Frame{Kind: wire.KindText, Seq: 1, Data: []byte(strings.Repeat("y", 100))})
				if err == nil {
					delivered.Add(1)
				}
				errs <- err
			}()
		}
		synctest.Wait()
		if w := h.budget.waiting(); w != sessions {
			t.Fatalf("%d waiting for the budget, want %d", w, sessions)
		}
		before := h.budget.calls()
		h.budget.release(100)
		synctest.Wait()
		calls := h.budget.calls() - before
		t.Logf("one release of 100 bytes with %d messages waiting: %d budget calls, %d delivered", sessions, calls, delivered.Load())
		if delivered.Load() != 1 || calls > 2 {
			t.Errorf("one release: %d delivered with %d budget calls, want 1 with at most 2", delivered.Load(), calls)
		}
		cancel()
		for range sessions {
			if err := <-errs; err != nil && !errors.Is(err, context.Canceled) {
				t.Fatalf("a wait given up: %v", err)
			}
		}
		if u, w := h.budget.inUse(), h.budget.waiting(); u != budget || w != 0 {
			t.Fatalf("%d in use, %d waiting once the waits were given up: want %d (the test's 700, the message delivered) and 0", u, w, budget)
		}
		h.budget.release(budget - 100)
		stopNodes(t, h)
		if u := h.budget.inUse(); u != 0 {
			t.Fatalf("%d bytes charged once every session ended", u)
		}
	})
}

// TestBudgetSpentStillTakesAcks: with the budget spent to the byte, a small
// send body (an ack: the only way an SSE client frees what the budget holds
// for it) is still read, uncharged; a large one gets 503.
func TestBudgetSpentStillTakesAcks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, s := spentBudget(t)
		post := func(body []byte) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, "/live?tether=send&tether_v=1&tether_sid="+s.id, bytes.NewReader(body))
			req.RemoteAddr = "192.0.2.1:1"
			req.Header.Set(wire.HeaderKey, s.key)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		ack, _ := wire.AppendJSONBatch(nil, []wire.Frame{{Kind: wire.KindAck, Seq: 0}})
		if rec := post(ack); rec.Code != 200 {
			t.Fatalf("an ack of %d bytes with the budget spent: %d %s", len(ack), rec.Code, rec.Body)
		}
		if u := h.budget.inUse(); u != 800 {
			t.Fatalf("after the ack: %d bytes in use, want the 800 spent (the ack read uncharged)", u)
		}
		big, _ := wire.AppendJSONBatch(nil, []wire.Frame{{Kind: wire.KindText, Seq: 1, Data: []byte(strings.Repeat("z", 100))},
			{Kind: wire.KindText, Seq: 2, Data: []byte(strings.Repeat("z", 100))}, {Kind: wire.KindText, Seq: 3, Data: []byte(strings.Repeat("z", 100))},
			{Kind: wire.KindText, Seq: 4, Data: []byte(strings.Repeat("z", 100))}, {Kind: wire.KindText, Seq: 5, Data: []byte(strings.Repeat("z", 100))},
			{Kind: wire.KindText, Seq: 6, Data: []byte(strings.Repeat("z", 100))}})
		if len(big) <= maxUnchargedSendBody {
			t.Fatalf("the large body is %d bytes, not over %d", len(big), maxUnchargedSendBody)
		}
		if rec := post(big); rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("a body of %d bytes with the budget spent: %d, want 503", len(big), rec.Code)
		}
		h.budget.release(800)
	})
}

// TestChunkedSendChargedAsItGrows: a send body of unknown length (chunked)
// is charged for the buffer it grows to, not for the largest body allowed,
// which is more than a small budget (100-byte messages: a limit of 6 x 100
// bytes + 64 KiB against a budget of 800): it comes in, and leaves nothing
// charged; over the limit it gets 413; one that outgrows what the budget
// has left 503.
func TestChunkedSendChargedAsItGrows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		got := make(chan *Session, 1)
		h := NewHandler(func(s *Session) { got <- s; <-s.Context().Done() }, &Options{MaxMessageBytes: 100, MaxTotalBufferedBytes: 800})
		t.Cleanup(func() { stopNodes(t, h) })
		call(h, "GET", pollOpen, "192.0.2.1:1", nil)
		s := <-got
		post := func(body []byte) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, "/live?tether=send&tether_v=1&tether_sid="+s.id, io.MultiReader(bytes.NewReader(body)))
			req.ContentLength = -1 // chunked
			req.RemoteAddr = "192.0.2.1:1"
			req.Header.Set(wire.HeaderKey, s.key)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		// An ack padded past the uncharged 512 bytes: the buffer grows to
		// 768, within the budget of 800.
		ack := append([]byte(`[["a",0]]`), bytes.Repeat([]byte(" "), 600)...)
		if rec := post(ack); rec.Code != 200 {
			t.Fatalf("a chunked send of %d bytes, budget 800: %d %s", len(ack), rec.Code, rec.Body)
		}
		if u := h.budget.inUse(); u != 0 {
			t.Fatalf("after it: %d bytes in use, want 0", u)
		}
		if !h.budget.tryTake(500) {
			t.Fatal("could not take 500 bytes")
		}
		if rec := post(append([]byte("[[\"a\",0]]"), bytes.Repeat([]byte(" "), 2000)...)); rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("a chunked body of 2 KB with 300 bytes free: %d, want 503", rec.Code)
		}
		if u := h.budget.inUse(); u != 500 {
			t.Fatalf("after the refused body: %d bytes in use, want 500", u)
		}
		h.budget.release(500)
	})
}

// TestChunkedSendOverLimit: a chunked send body over the send limit gets
// 413 (message_too_large) and leaves nothing charged.
func TestChunkedSendOverLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		got := make(chan *Session, 1)
		h := NewHandler(func(s *Session) { got <- s; <-s.Context().Done() }, &Options{MaxMessageBytes: 100})
		t.Cleanup(func() { stopNodes(t, h) })
		call(h, "GET", pollOpen, "192.0.2.1:1", nil)
		s := <-got
		req := httptest.NewRequest(http.MethodPost, "/live?tether=send&tether_v=1&tether_sid="+s.id,
			io.MultiReader(bytes.NewReader(bytes.Repeat([]byte(" "), int(h.sendBodyLimit())+1))))
		req.ContentLength = -1
		req.RemoteAddr = "192.0.2.1:1"
		req.Header.Set(wire.HeaderKey, s.key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("a chunked body over the limit: %d %s, want 413", rec.Code, rec.Body)
		}
		if u := h.budget.inUse(); u != 0 {
			t.Fatalf("%d bytes charged after it", u)
		}
	})
}
