package conformance

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/testkit/testserver"
	"github.com/tether-sdk/tether/server"
)

// echo sends every message back (the test kit's echo handler).
var echo = testserver.Echo

// shortOptions are the Go server's options with short timings, so the
// timed checks (heartbeats, poll hold, ttl) take about a second each.
func shortOptions() *server.Options {
	return &server.Options{
		Heartbeat:       time.Second,
		Timeout:         3 * time.Second,
		PollHold:        time.Second,
		SessionTTL:      2 * time.Second,
		MaxMessageBytes: 64 << 10,
	}
}

// goServer starts the Go server's handler, wrapped by wrap when not nil, on
// loopback, and returns its URL (with an application query parameter, which
// every request must keep).
func goServer(t *testing.T, o *server.Options, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	h := server.NewHandler(echo, o)
	var hh http.Handler = h
	if wrap != nil {
		hh = wrap(h)
	}
	srv := httptest.NewServer(hh)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Shutdown(ctx)
		srv.Close()
	})
	return srv.URL + "/rt?room=42"
}

// run runs the checks and returns the results by id.
func run(t *testing.T, cfg *Config) map[string]Result {
	t.Helper()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]Result{}
	for _, r := range res {
		m[r.Check.ID] = r
	}
	return m
}

// knownServerBugs are checks the Go server fails today, with the fix under
// way on another branch. They may pass or fail here; once the fix is in,
// remove the entry so that a regression fails the test.
var knownServerBugs = map[string]string{}

// TestGoServer runs every check against the Go server (server.Handler)
// configured with short timings: every check must pass.
func TestGoServer(t *testing.T) {
	url := goServer(t, shortOptions(), nil)
	res := run(t, &Config{URL: url})
	if len(res) != len(Checks())+1 {
		t.Fatalf("%d results for %d checks and the discovery", len(res), len(Checks())+1)
	}
	for _, c := range append([]*Check{discoverCheck()}, Checks()...) {
		r := res[c.ID]
		t.Run(c.ID, func(t *testing.T) {
			why, known := knownServerBugs[c.ID]
			switch {
			case r.Status == Pass:
			case known && r.Status == Fail:
				t.Logf("known server bug (%s): %s", why, r.Detail)
			case c.ID == "transport-disabled" && r.Status == Skip:
				// every transport is offered here; TestTransportDisabled runs it
			case c.ID == "poll.replace" && r.Status == Skip:
				// poll is 1 s here; TestPollReplace runs it with a long one
			default:
				t.Errorf("%s %s (section %s): %s", c.Level, r.Status, c.Section, r.Detail)
			}
		})
	}
}

// TestTransportDisabled: a server offering one transport refuses the
// others with 404 transport_disabled; the checks of the others are skipped.
func TestTransportDisabled(t *testing.T) {
	o := shortOptions()
	o.Transports = []string{"longpoll"}
	url := goServer(t, o, nil)
	res := run(t, &Config{URL: url, Only: []string{"transport-disabled", "ws.handshake", "sse.handshake", "poll.handshake", "ws.probe"}})
	want := map[string]Status{"transport-disabled": Pass, "ws.handshake": Skip, "sse.handshake": Skip, "poll.handshake": Pass, "ws.probe": Skip}
	for id, st := range want {
		if res[id].Status != st {
			t.Errorf("%s: %s %s, want %s", id, res[id].Status, res[id].Detail, st)
		}
	}
}

// TestPollReplace runs poll.replace against a poll hold long enough to tell
// a replaced poll (answered at once) from an expired one.
func TestPollReplace(t *testing.T) {
	o := shortOptions()
	o.PollHold = 20 * time.Second
	url := goServer(t, o, nil)
	res := run(t, &Config{URL: url, Patience: 2 * time.Second, Only: []string{"poll.replace"}})
	if r := res["poll.replace"]; r.Status != Pass {
		t.Errorf("poll.replace: %s %s", r.Status, r.Detail)
	}
}

// TestAdmission: a server that refuses new sessions for a while (429
// too_many_sessions, Retry-After) is waited for, as a client would.
func TestAdmission(t *testing.T) {
	var mu sync.Mutex
	refused := map[string]bool{}
	refuse := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			mode := q.Get("tether")
			mu.Lock()
			first := !refused[mode]
			refused[mode] = true
			mu.Unlock()
			if (mode == "poll-open" || mode == "sse") && q.Get("tether_sid") == "" && first {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Cache-Control", "no-store")
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				w.Write([]byte(`{"code":"too_many_sessions","message":"slow down","status":429,"retry":1000}`))
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	url := goServer(t, shortOptions(), refuse)
	res := run(t, &Config{URL: url, Only: []string{"poll.handshake", "sse.handshake"}})
	wantStatuses(t, res, map[string]Status{"poll.handshake": Pass, "sse.handshake": Pass})
	mu.Lock()
	defer mu.Unlock()
	if !refused["poll-open"] || !refused["sse"] {
		t.Errorf("the server refused nothing: %v", refused)
	}
}

func TestMaxWaitSkipsTimedChecks(t *testing.T) {
	url := goServer(t, shortOptions(), nil)
	res := run(t, &Config{URL: url, MaxWait: -1, Only: []string{"ws.heartbeat", "sse.heartbeat", "poll.hold", "session.ttl", "ws.ping"}})
	for _, id := range []string{"ws.heartbeat", "sse.heartbeat", "poll.hold", "session.ttl"} {
		if res[id].Status != Skip {
			t.Errorf("%s: %s %s, want SKIP", id, res[id].Status, res[id].Detail)
		}
	}
	if res["ws.ping"].Status != Pass {
		t.Errorf("ws.ping: %s %s", res["ws.ping"].Status, res["ws.ping"].Detail)
	}
}

func TestNoEchoSkipsDataChecks(t *testing.T) {
	url := goServer(t, shortOptions(), nil)
	res := run(t, &Config{URL: url, NoEcho: true, Only: []string{"ws.data", "poll.data", "ws.resume", "ws.duplicate"}})
	for id, st := range map[string]Status{"ws.data": Skip, "poll.data": Skip, "ws.resume": Pass, "ws.duplicate": Pass} {
		if res[id].Status != st {
			t.Errorf("%s: %s %s, want %s", id, res[id].Status, res[id].Detail, st)
		}
	}
}

func TestBadConfig(t *testing.T) {
	for _, u := range []string{"", "ftp://x/", "http://", "::"} {
		if _, err := Run(context.Background(), &Config{URL: u}); !errors.Is(err, ErrConfig) {
			t.Errorf("URL %q: %v, want ErrConfig", u, err)
		}
	}
	if _, err := Run(context.Background(), nil); !errors.Is(err, ErrConfig) {
		t.Errorf("nil config: %v, want ErrConfig", err)
	}
}

// TestUnreachable: nothing listens; the discovery fails and every other
// check is skipped.
func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	res := run(t, &Config{URL: url, Patience: 500 * time.Millisecond, Only: []string{"discover", "ws.ack"}})
	if res["discover"].Status != Fail || res["ws.ack"].Status != Skip {
		t.Errorf("discover %s %s; ws.ack %s %s", res["discover"].Status, res["discover"].Detail, res["ws.ack"].Status, res["ws.ack"].Detail)
	}
	if MustFailures([]Result{res["discover"], res["ws.ack"]}) != 1 {
		t.Error("MustFailures does not count the failed discovery")
	}
}
