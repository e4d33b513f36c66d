package conformance

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tether-sdk/tether/server"
)

// echo sends every message back to its sender, like tether serve.
func echo(s *server.Session) {
	for {
		m, err := s.Receive(s.Context())
		if err != nil {
			return
		}
		if s.Send(s.Context(), m) != nil {
			return
		}
	}
}

// shortOptions are the Go server's options with short timings, so the
// timed checks (heartbeats, poll hold, ttl) run in about a second each.
func shortOptions() *server.Options {
	return &server.Options{
		Heartbeat:       time.Second,
		Timeout:         3 * time.Second,
		PollHold:        time.Second,
		SessionTTL:      2 * time.Second,
		MaxMessageBytes: 64 << 10,
	}
}

// goServer starts the Go server's handler (wrapped by wrap, when not nil)
// on loopback.
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

func run(t *testing.T, cfg *Config) map[string]Result {
	t.Helper()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]Result{}
	for _, r := range res {
		m[r.Check.ID] = r
		t.Logf("%-28s %-6s %-4s %v %s", r.Check.ID, r.Check.Level, r.Status, r.Elapsed.Round(time.Millisecond), r.Detail)
	}
	return m
}

func TestGoServerPasses(t *testing.T) {
	url := goServer(t, shortOptions(), nil)
	res := run(t, &Config{URL: url})
	for id, r := range res {
		if r.Status != Pass {
			t.Errorf("%s (%s, section %s): %s %s", id, r.Check.Level, r.Check.Section, r.Status, r.Detail)
		}
	}
	if len(res) != len(Checks())+1 {
		t.Errorf("%d results for %d checks", len(res), len(Checks())+1)
	}
	_ = strings.TrimSpace
}
