package hostile_test

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tether-sdk/tether/internal/hostile"
)

// wsBackend is a gorilla WebSocket echo server at /ws that also records
// whether any request reached it with an Upgrade header.
func wsBackend(t *testing.T) (url string, sawUpgrade *atomic.Bool) {
	t.Helper()
	sawUpgrade = new(atomic.Bool)
	up := websocket.Upgrader{}
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			sawUpgrade.Store(true)
		}
		c, err := up.Upgrade(w, r, nil) // answers 400 itself on failure
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if c.WriteMessage(mt, msg) != nil {
				return
			}
		}
	}))
	return s.URL, sawUpgrade
}

func wsURL(httpURL string) string { return "ws" + strings.TrimPrefix(httpURL, "http") + "/ws" }

func newStrip(t *testing.T, backend string, opts hostile.ReverseOptions) *hostile.StripUpgrade {
	t.Helper()
	p, err := hostile.NewStripUpgrade(backend, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, p)
	return p
}

func newBuffering(t *testing.T, backend string, opts hostile.BufferingOptions) *hostile.Buffering {
	t.Helper()
	p, err := hostile.NewBuffering(backend, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, p)
	return p
}

// wsDial dials with gorilla and reports the handshake status (0 if none).
func wsDial(t *testing.T, u string) (*websocket.Conn, int, error) {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(u, nil)
	code := 0
	if resp != nil {
		code = resp.StatusCode
		resp.Body.Close()
	}
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, code, err
}

// TestStripUpgradeBreaksWebSocket: direct dial works, but through
// StripUpgrade the backend sees a plain GET and the dial fails with 400.
func TestStripUpgradeBreaksWebSocket(t *testing.T) {
	checkLeaks(t)
	backend, sawUpgrade := wsBackend(t)
	if _, code, err := wsDial(t, wsURL(backend)); err != nil || code != 101 {
		t.Fatalf("direct dial: %d %v", code, err)
	}
	sawUpgrade.Store(false)

	p := newStrip(t, backend, hostile.ReverseOptions{})
	_, code, err := wsDial(t, wsURL(p.URL()))
	if err != websocket.ErrBadHandshake || code != http.StatusBadRequest {
		t.Fatalf("dial through StripUpgrade: status %d, err %v", code, err)
	}
	if sawUpgrade.Load() {
		t.Fatal("backend saw an Upgrade header")
	}
	if p.Requests() != 1 || p.Stripped() != 1 {
		t.Fatalf("requests=%d stripped=%d", p.Requests(), p.Stripped())
	}
}

// sseBackend streams one "data: N" event per value received on next,
// flushing each, with X-Accel-Buffering: no; it sends the header at once
// and ends when next is closed.
func sseBackend(t *testing.T, next <-chan string) string {
	t.Helper()
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/poll" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"messages":[1,2,3]}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("X-Accel-Buffering", "no")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		for {
			select {
			case ev, ok := <-next:
				if !ok {
					return
				}
				io.WriteString(w, ev)
				w.(http.Flusher).Flush()
			case <-r.Context().Done():
				return
			}
		}
	}))
	return s.URL
}

// TestStripUpgradeStreamsSSE: the header arrives before any event and each
// event arrives before the backend sends the next, so SSE works through it.
func TestStripUpgradeStreamsSSE(t *testing.T) {
	checkLeaks(t)
	next := make(chan string)
	p := newStrip(t, sseBackend(t, next), hostile.ReverseOptions{})
	c := client(t, &http.Transport{})
	resp, err := c.Get(p.URL() + "/events") // returns once the header arrives
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	br := bufio.NewReader(resp.Body)
	for _, ev := range []string{"data: 1\n\n", "data: 2\n\n", "data: 3\n\n"} {
		next <- ev
		if got := readEvent(t, br); got != ev {
			t.Fatalf("event %q, want %q", got, ev)
		}
	}
	close(next)
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("after end: %q %v", rest, err)
	}
}

func readEvent(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			t.Fatalf("reading event: %v (got %q)", err, b.String())
		}
		if line == "\n" {
			return b.String()
		}
	}
}

// TestStripUpgradeTLS: an HTTPS StripUpgrade in front of an HTTPS backend,
// each verified against the test CA.
func TestStripUpgradeTLS(t *testing.T) {
	checkLeaks(t)
	pk := getPKI(t)
	s := newTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "secure "+r.Host)
	}))
	p := newStrip(t, s.URL, hostile.ReverseOptions{BackendTLS: pk.clientTLS(), TLS: pk.cert()})
	if !strings.HasPrefix(p.URL(), "https://") {
		t.Fatalf("URL %q", p.URL())
	}
	c := client(t, &http.Transport{TLSClientConfig: pk.clientTLS()})
	code, body := get(t, c, p.URL()+"/")
	if code != 200 || !strings.HasPrefix(body, "secure 127.0.0.1:") {
		t.Fatalf("got %d %q", code, body)
	}
	// A backend the proxy does not trust gives 502.
	p2 := newStrip(t, s.URL, hostile.ReverseOptions{})
	if code, _ := get(t, client(t, &http.Transport{}), p2.URL()); code != http.StatusBadGateway {
		t.Fatalf("untrusted backend: %d", code)
	}
}

// TestBufferingStallsSSE: events are held back until the threshold is
// reached (despite X-Accel-Buffering: no), then released in one chunk; the
// tail is released when the stream ends.
func TestBufferingStallsSSE(t *testing.T) {
	checkLeaks(t)
	next := make(chan string)
	p := newBuffering(t, sseBackend(t, next), hostile.BufferingOptions{Threshold: 1000})
	c := client(t, &http.Transport{})

	type result struct {
		resp *http.Response
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := c.Get(p.URL() + "/events")
		got <- result{resp, err}
	}()
	ev := strings.Repeat("x", 92) // "data: " + 92 + "\n\n" = 100 bytes
	for range 9 {
		next <- "data: " + ev + "\n\n"
	}
	// 900 bytes are below the threshold: not even the header may arrive.
	select {
	case r := <-got:
		t.Fatalf("response arrived below threshold: %v %v", r.resp, r.err)
	case <-time.After(200 * time.Millisecond):
	}
	next <- "data: " + ev + "\n\n" // 1000 bytes: released
	r := <-got
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.resp.Body.Close()
	buf := make([]byte, 1000)
	if _, err := io.ReadFull(r.resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(buf), "data: ") != 10 {
		t.Fatal("first chunk is not the ten events")
	}
	next <- "data: tail\n\n"
	close(next)
	rest, err := io.ReadAll(r.resp.Body)
	if err != nil || string(rest) != "data: tail\n\n" {
		t.Fatalf("tail %q %v", rest, err)
	}
}

// TestBufferingLongPollAndStrip: complete bodies pass; WebSocket upgrades are
// stripped (400) by default and pass with PassUpgrade.
func TestBufferingLongPollAndStrip(t *testing.T) {
	checkLeaks(t)
	next := make(chan string)
	defer close(next)
	p := newBuffering(t, sseBackend(t, next), hostile.BufferingOptions{})
	code, body := get(t, client(t, &http.Transport{}), p.URL()+"/poll")
	if code != 200 || body != `{"messages":[1,2,3]}` {
		t.Fatalf("poll: %d %q", code, body)
	}

	backend, _ := wsBackend(t)
	strip := newBuffering(t, backend, hostile.BufferingOptions{})
	if _, code, err := wsDial(t, wsURL(strip.URL())); err != websocket.ErrBadHandshake || code != 400 {
		t.Fatalf("stripped dial: %d %v", code, err)
	}
	if strip.Stripped() != 1 {
		t.Fatalf("Stripped = %d", strip.Stripped())
	}

	pass := newBuffering(t, backend, hostile.BufferingOptions{PassUpgrade: true})
	ws, code, err := wsDial(t, wsURL(pass.URL()))
	if err != nil || code != 101 {
		t.Fatalf("PassUpgrade dial: %d %v", code, err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := ws.ReadMessage(); err != nil || string(msg) != "hi" {
		t.Fatalf("echo %q %v", msg, err)
	}
	// Close severs the hijacked connection.
	pass.Close()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := ws.ReadMessage(); err == nil {
		t.Fatal("WebSocket survived Close")
	} else if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
		t.Fatal("WebSocket still open after Close")
	}
}
