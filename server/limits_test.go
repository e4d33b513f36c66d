package server

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// call serves one request in process (for tests on synctest's fake clock).
func call(h *Handler, method, target, remote string, hd http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	req.RemoteAddr = remote
	for k, v := range hd {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func welcomeOf(t *testing.T, rec *httptest.ResponseRecorder) *wire.Welcome {
	t.Helper()
	fr, err := wire.ParseJSONBatch(rec.Body.Bytes(), 0, 0)
	if rec.Code != 200 || err != nil || len(fr) != 1 || fr[0].Kind != wire.KindWelcome {
		t.Fatalf("poll-open: %d %q", rec.Code, rec.Body.Bytes())
	}
	return fr[0].Welcome
}

func shutdown(t *testing.T, h *Handler) {
	t.Helper()
	if err := h.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Minute) // let the close grace of every session pass (fake time)
	synctest.Wait()
}

const pollOpen = "/live?tether=poll-open&tether_v=1"

// A session whose client never comes back is gone after NewSessionTTL; one
// whose client polled once lives for SessionTTL.
func TestNewSessionExpiresFast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHandler(idle, &Options{SessionTTL: time.Minute, NewSessionTTL: 5 * time.Second})
		call(h, "GET", pollOpen, "192.0.2.1:1000", nil)
		w := welcomeOf(t, call(h, "GET", pollOpen, "192.0.2.1:1001", nil))
		if rec := call(h, "GET", "/live?tether=poll&tether_v=1&tether_ack=0&tether_sid="+w.SID, "192.0.2.1:1001",
			http.Header{wire.HeaderKey: {w.Key}}); rec.Code != 200 {
			t.Fatalf("poll: %d %s", rec.Code, rec.Body)
		}
		time.Sleep(6 * time.Second)
		synctest.Wait()
		if n := h.Sessions(); n != 1 {
			t.Fatalf("%d sessions after NewSessionTTL, want 1 (the abandoned one gone, the polled one kept)", n)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := h.Sessions(); n != 0 {
			t.Fatalf("%d sessions after SessionTTL, want 0", n)
		}
		shutdown(t, h)
	})
}

// One address starts at most 2 s worth of NewSessionRate at once, then
// NewSessionRate a second; refusals say how long to wait. Other addresses
// are not affected.
func TestNewSessionRatePerAddress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHandler(idle, &Options{NewSessionRate: 5, SessionTTL: time.Hour})
		count := func(remote string, n int) (ok int) {
			for range n {
				rec := call(h, "GET", pollOpen, remote, nil)
				switch {
				case rec.Code == 200:
					ok++
				case rec.Code != 429 || rec.Header().Get("Retry-After") == "":
					t.Fatalf("%d %s, Retry-After %q", rec.Code, rec.Body, rec.Header().Get("Retry-After"))
				}
			}
			return ok
		}
		if got := count("192.0.2.1:1", 1000); got != 10 {
			t.Errorf("a burst of 1000: %d sessions, want 10 (2 s at 5/s)", got)
		}
		if got := count("192.0.2.2:1", 3); got != 3 {
			t.Errorf("another address: %d of 3 sessions", got)
		}
		time.Sleep(time.Second)
		if got := count("192.0.2.1:1", 1000); got != 5 {
			t.Errorf("a second later: %d sessions, want 5", got)
		}
		shutdown(t, h)
	})
}

// Polls over PollRate are paced, not refused: in one second a session
// gets at most 2 s worth at once plus PollRate answers.
func TestPollRateIsPaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		feed := func(s *Session) {
			for s.Send(s.Context(), Text("x")) == nil {
			}
		}
		h := NewHandler(feed, &Options{PollRate: 10, MaxBufferedBytes: 64})
		w := welcomeOf(t, call(h, "GET", pollOpen, "192.0.2.1:1", nil))
		key := http.Header{wire.HeaderKey: {w.Key}}
		start := time.Now()
		answered, ack := 0, uint64(0)
		for time.Since(start) < time.Second && answered < 10_000 {
			rec := call(h, "GET", "/live?tether=poll&tether_v=1&tether_sid="+w.SID+"&tether_ack="+strconv.FormatUint(ack, 10), "192.0.2.1:1", key)
			if rec.Code != 200 {
				t.Fatalf("poll %d: %d %s", answered, rec.Code, rec.Body)
			}
			fr, _ := wire.ParseJSONBatch(rec.Body.Bytes(), 0, 0)
			for _, f := range fr {
				if f.Kind == wire.KindText {
					ack = f.Seq
				}
			}
			answered++
		}
		t.Logf("%d polls answered in one second at PollRate 10", answered)
		if answered > 20+10+1 {
			t.Errorf("%d polls answered in one second, want at most %d", answered, 31)
		}
		shutdown(t, h)
	})
}

// A poll whose ack frees a full answer's worth of the send buffer is not
// paced: pacing does not cap a long-poll stream (pace.go, frees).
func TestPollRateSparesFullAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		payload := Text(strings.Repeat("x", 1024))
		feed := func(s *Session) {
			for s.Send(s.Context(), payload) == nil {
			}
		}
		h := NewHandler(feed, &Options{PollRate: 10})
		w := welcomeOf(t, call(h, "GET", pollOpen, "192.0.2.1:1", nil))
		key := http.Header{wire.HeaderKey: {w.Key}}
		start := time.Now()
		answered, ack := 0, uint64(0)
		for answered < 40 {
			synctest.Wait() // the feed has filled the send buffer: each answer is full
			rec := call(h, "GET", "/live?tether=poll&tether_v=1&tether_sid="+w.SID+"&tether_ack="+strconv.FormatUint(ack, 10), "192.0.2.1:1", key)
			if rec.Code != 200 {
				t.Fatalf("poll %d: %d %s", answered, rec.Code, rec.Body)
			}
			fr, _ := wire.ParseJSONBatch(rec.Body.Bytes(), 0, 0)
			for _, f := range fr {
				if f.Kind == wire.KindText {
					ack = f.Seq
				}
			}
			answered++
		}
		// Synctest's clock moves only when every goroutine waits: paced,
		// 40 polls at PollRate 10 (a burst of 20) would take 2 s of it.
		if d := time.Since(start); d >= time.Second {
			t.Errorf("40 polls with full answers took %v of the fake clock: paced", d)
		}
		if ack < 39*pollBatchBytes/1024 {
			t.Errorf("40 polls carried %d messages, want full answers of %d", ack, pollBatchBytes/1024)
		}
		shutdown(t, h)
	})
}

// A send whose data frames carry 16 KiB or more is not paced: an echo over
// long-polling or SSE moves its data in sends as fast as it flows (pace.go,
// carries). Sends of a few bytes each are paced as polls are.
func TestPollRateSparesFullSends(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  int
		paced bool
	}{{"16 KiB sends", 1024, false}, {"tiny sends", 1, true}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sink := func(s *Session) {
					for {
						if _, err := s.Receive(s.Context()); err != nil {
							return
						}
					}
				}
				h := NewHandler(sink, &Options{PollRate: 10})
				w := welcomeOf(t, call(h, "GET", pollOpen, "192.0.2.1:1", nil))
				start := time.Now()
				seq := uint64(0)
				for i := 0; i < 40; i++ {
					frames := make([]wire.Frame, 16)
					for j := range frames {
						seq++
						frames[j] = wire.Frame{Kind: wire.KindText, Seq: seq, Data: []byte(strings.Repeat("x", tc.size))}
					}
					body, err := wire.AppendJSONBatch(nil, frames)
					if err != nil {
						t.Fatal(err)
					}
					req := httptest.NewRequest("POST", "/live?tether=send&tether_v=1&tether_sid="+w.SID, strings.NewReader(string(body)))
					req.RemoteAddr = "192.0.2.1:1"
					req.Header.Set(wire.HeaderKey, w.Key)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != 200 {
						t.Fatalf("send %d: %d %s", i, rec.Code, rec.Body)
					}
				}
				// Paced, 40 sends at PollRate 10 (a burst of 20) take 2 s of
				// synctest's clock; unpaced, none.
				if d := time.Since(start); (d >= time.Second) != tc.paced {
					t.Errorf("40 sends of 16 x %d bytes took %v of the fake clock; paced: want %v", tc.size, d, tc.paced)
				}
				shutdown(t, h)
			})
		})
	}
}
