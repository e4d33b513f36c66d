package conformance

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The checks must be able to fail: deliberately broken servers make
// specific checks fail, and leave others passing.

// mute is a WebSocket-only "server" that welcomes every hello (new or not,
// always with a key) and then ignores everything: it never acks, never
// answers a ping or a close, never refuses a bad session.
func mute(t *testing.T) string {
	t.Helper()
	up := websocket.Upgrader{Subprotocols: []string{"tether.v1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			http.NotFound(w, r)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		if _, _, err := c.ReadMessage(); err != nil {
			return
		}
		c.WriteMessage(websocket.TextMessage, []byte(`w{"v":1,"sid":"`+randomToken()+`","key":"`+randomToken()+
			`","resumed":false,"ack":0,"hb":1000,"timeout":3000,"ttl":2000,"max":1024,"poll":1000,"transports":["websocket"]}`))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func wantStatuses(t *testing.T, res map[string]Result, want map[string]Status) {
	t.Helper()
	for id, st := range want {
		r, ok := res[id]
		if !ok {
			t.Errorf("%s: no result", id)
			continue
		}
		if r.Status != st {
			t.Errorf("%s: %s %q, want %s", id, r.Status, r.Detail, st)
		}
		if r.Status == Fail && r.Detail == "" {
			t.Errorf("%s failed without saying what the server did", id)
		}
	}
}

func TestMuteServerFails(t *testing.T) {
	res := run(t, &Config{URL: mute(t), Patience: 300 * time.Millisecond,
		Only: []string{"discover", "ws.handshake", "ws.ack", "ws.ping", "ws.close", "ws.session-not-found", "ws.heartbeat", "sse.handshake", "transport-disabled"}})
	wantStatuses(t, res, map[string]Status{
		"discover":             Pass,
		"ws.handshake":         Pass,
		"ws.ack":               Fail,
		"ws.ping":              Fail,
		"ws.close":             Fail,
		"ws.session-not-found": Fail,
		"ws.heartbeat":         Fail,
		"sse.handshake":        Skip,
		"transport-disabled":   Fail, // sse and longpoll answer a plain 404, not transport_disabled
	})
	if !strings.Contains(res["ws.ping"].Detail, "pong") {
		t.Errorf("ws.ping detail %q does not say what was missing", res["ws.ping"].Detail)
	}
}

// rewrite wraps the Go server's handler and changes what plain HTTP
// answers look like (WebSocket upgrades pass untouched).
type rewriter struct {
	http.ResponseWriter
	status map[int]int // status -> status sent instead
	drop   []string    // headers removed
	wrote  bool
}

func (w *rewriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	for _, h := range w.drop {
		w.Header().Del(h)
	}
	if c, ok := w.status[code]; ok {
		code = c
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *rewriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *rewriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func rewrite(status map[int]int, drop ...string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Upgrade") != "" {
				h.ServeHTTP(w, r)
				return
			}
			h.ServeHTTP(&rewriter{ResponseWriter: w, status: status, drop: drop}, r)
		})
	}
}

func TestWrongStatusFails(t *testing.T) {
	url := goServer(t, shortOptions(), rewrite(map[int]int{http.StatusGone: http.StatusNotFound}))
	res := run(t, &Config{URL: url, Only: []string{"http.session-not-found", "http.key", "ws.session-not-found"}})
	wantStatuses(t, res, map[string]Status{
		"http.session-not-found": Fail,
		"http.key":               Pass,
		"ws.session-not-found":   Pass,
	})
	if d := res["http.session-not-found"].Detail; !strings.Contains(d, "410") || !strings.Contains(d, "404") {
		t.Errorf("detail %q does not name the expected and the actual status", d)
	}
}

func TestMissingSSEHeaderFails(t *testing.T) {
	url := goServer(t, shortOptions(), rewrite(nil, "X-Accel-Buffering"))
	res := run(t, &Config{URL: url, Only: []string{"sse.handshake", "poll.handshake"}})
	wantStatuses(t, res, map[string]Status{"sse.handshake": Fail, "poll.handshake": Pass})
}

func TestMissingNoStoreFails(t *testing.T) {
	url := goServer(t, shortOptions(), rewrite(nil, "Cache-Control"))
	res := run(t, &Config{URL: url, Only: []string{"poll.handshake", "http.version-unsupported", "ws.handshake"}})
	wantStatuses(t, res, map[string]Status{"poll.handshake": Fail, "http.version-unsupported": Fail, "ws.handshake": Pass})
}
