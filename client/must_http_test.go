//go:build !js

package client

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/wire"
)

// The client-side rules of PROTOCOL.md on SSE and long-polling requests, key
// logging and the first connect, against the scripted fake server of
// fakeserver_test.go. The rule table is in must_test.go.

// 3, 8: the SSE attach sends Accept: text/event-stream and tether_v=1;
// every request on the session carries the key in Tether-Key, never in the
// URL; the application's parameters stay.
func TestMustSSERequests(t *testing.T) {
	f := newFakeServer(t)
	f.noSubprotocol = true
	var sent sync.Once
	sendDone := make(chan struct{})
	f.http = func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("tether") {
		case "sse":
			sseStart(w)
			sseEvent(t, w, welcomeFrame(false, "s1", 0, nil))
			<-r.Context().Done()
		case "send":
			answerSend(t, w, r, 1)
			sent.Do(func() { close(sendDone) })
		default:
			writeError(w, 400, wire.CodeBadRequest, 0)
		}
	}
	c := mustDialFake(t, f, mustOpts(newEvents(), TransportSSE))
	c.Send(recvCtx(t), Text("hi"))
	<-sendDone
	for _, r := range f.requests() {
		q := r.Query
		if q.Get("room") != "42" || q.Get("tether_v") != "1" || q.Has("tether_key") {
			t.Errorf("%s %v", r.Method, q)
		}
		switch q.Get("tether") {
		case "sse":
			if r.Header.Get("Accept") != "text/event-stream" {
				t.Errorf("SSE attach with Accept %q", r.Header.Get("Accept"))
			}
		case "send":
			if r.Header.Get("Tether-Key") == "" || q.Get("tether_sid") != "s1" {
				t.Errorf("send without the key header or sid: %v", q)
			}
		}
	}
}

// 9.2: the client polls again right after every answer, with its current
// recv in tether_ack, and the key in Tether-Key.
func TestMustPollCarriesRecv(t *testing.T) {
	f := newFakeServer(t)
	f.noSubprotocol = true
	var mu sync.Mutex
	polls := 0
	done := make(chan []string, 1)
	var acks []string
	f.http = func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch q.Get("tether") {
		case "poll-open":
			writeBatch(t, w, welcomeFrame(false, "s1", 0, nil))
		case "poll":
			mu.Lock()
			polls++
			n := polls
			acks = append(acks, q.Get("tether_ack")+"/"+fmt.Sprint(r.Header.Get("Tether-Key") != ""))
			mu.Unlock()
			switch n {
			case 1:
				writeBatch(t, w, text(1, "a"), text(2, "b"))
			case 2:
				writeBatch(t, w) // a hold expiring
			case 3:
				writeBatch(t, w, text(3, "c"))
			default:
				mu.Lock()
				if n == 4 {
					done <- slices.Clone(acks)
				}
				mu.Unlock()
				<-r.Context().Done()
			}
		case "send":
			answerSend(t, w, r, 0)
		}
	}
	mustDialFake(t, f, mustOpts(newEvents(), TransportLongPoll))
	if got := <-done; !slices.Equal(got, []string{"0/true", "2/true", "2/true", "3/true"}) {
		t.Fatalf("polls carried %v", got)
	}
}

// syncBuffer is a log sink for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// 15: the key never appears in the client's logs, at any level, through a
// new session, a failed transport and a resume.
func TestMustNeverLogKey(t *testing.T) {
	const key = "fakekey0fakekey0fakeky" // welcomeFrame's
	for _, tr := range []string{TransportWebSocket, TransportSSE} {
		t.Run(tr, func(t *testing.T) {
			f := newFakeServer(t)
			var mu sync.Mutex
			attaches := 0
			f.ws = func(s *fakeWS) {
				h := s.must(wire.KindHello)
				mu.Lock()
				attaches++
				n := attaches
				mu.Unlock()
				s.welcome(h, "s1", 0, nil)
				if n == 1 {
					s.closeWith(websocket.CloseGoingAway, "")
				}
				s.clientCloseCode()
			}
			f.http = func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Query().Get("tether") {
				case "sse":
					mu.Lock()
					attaches++
					n := attaches
					mu.Unlock()
					sseStart(w)
					sseEvent(t, w, welcomeFrame(r.URL.Query().Has("tether_sid"), "s1", 0, nil))
					if n == 1 {
						return // the stream ends: resume
					}
					<-r.Context().Done()
				case "send":
					answerSend(t, w, r, 0)
				default:
					writeError(w, 410, wire.CodeSessionNotFound, 0)
				}
			}
			if tr == TransportSSE {
				f.noSubprotocol = true
			}
			var logs syncBuffer
			ev := newEvents()
			o := mustOpts(ev, tr)
			o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c := mustDialFake(t, f, o)
			ev.waitFor(t, 0, "resumed", func(e Event) bool { ce, ok := e.(ConnectedEvent); return ok && ce.Resumed })
			c.Close(recvCtx(t))
			if strings.Contains(logs.String(), key) {
				t.Fatalf("the key is in the logs:\n%s", logs.String())
			}
			if logs.String() == "" {
				t.Fatal("nothing logged: the check proves nothing")
			}
		})
	}
}

// 13: a first connect cut on every transport, over real sockets (the
// upgrade, the SSE stream before its welcome, the poll-open answer), is
// tried again after a backoff instead of ending Dial.
func TestMustFirstConnectCutOnTheWire(t *testing.T) {
	f := newFakeServer(t)
	var mu sync.Mutex
	requests := 0
	cutFirst := func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		requests++
		n := requests
		mu.Unlock()
		if n > 3 {
			return false
		}
		if r.URL.Query().Get("tether") == "sse" {
			sseStart(w) // headers, then the stream ends before its welcome
			return true
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return true
	}
	f.ws = func(s *fakeWS) {
		h := s.must(wire.KindHello)
		s.welcome(h, "s1", 0, nil)
		s.clientCloseCode()
	}
	f.front = cutFirst
	f.http = func(w http.ResponseWriter, r *http.Request) { writeError(w, 404, wire.CodeTransportDisabled, 0) }
	ev := newEvents()
	mustDialFake(t, f, mustOpts(ev))
	re := ev.waitFor(t, 0, "reconnecting", isEvent[ReconnectingEvent]).(ReconnectingEvent)
	if !cut(re.Cause) {
		t.Fatalf("waited for %v", re.Cause)
	}
}
