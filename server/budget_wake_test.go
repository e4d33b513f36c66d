package server

import (
	"net/http"
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
		legit := welcomeOf(t, call(h, "GET", pollOpen, "192.0.2.1:1", nil))
		synctest.Wait()
		for i := range feeds {
			call(h, "GET", pollOpen, "198.51.100."+strconv.Itoa(i%250+1)+":1", nil)
		}
		synctest.Wait()
		if u := h.budget.inUse(); u != budget || sent.Load() != 0 {
			t.Fatalf("budget in use %d, %d feed messages sent: want %d and 0", u, sent.Load(), budget)
		}
		before := h.budget.tries.Load()
		rec := call(h, "GET", "/live?tether=poll&tether_v=1&tether_hold=0&tether_ack=1&tether_sid="+legit.SID, "192.0.2.1:1",
			http.Header{wire.HeaderKey: {legit.Key}})
		if rec.Code != 200 {
			t.Fatalf("poll: %d %s", rec.Code, rec.Body)
		}
		synctest.Wait()
		calls := h.budget.tries.Load() - before
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
