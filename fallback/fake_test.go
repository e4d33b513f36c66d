//go:build !js

package fallback

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/certs"
	"github.com/tether-sdk/tether/internal/sse"
	"github.com/tether-sdk/tether/internal/testkit"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// TestMain fails the run if a goroutine outlives the tests.
func TestMain(m *testing.M) { testkit.Main(m) }

// settle waits until no goroutine's stack satisfies bad (see testkit.Settle).
func settle(bad func(stack string) bool) (string, bool) { return testkit.Settle(bad) }

// runsPackageCode reports whether a goroutine's stack has a frame in a
// non-test file of this package.
func runsPackageCode(stack string) bool {
	for _, line := range strings.Split(stack, "\n") {
		if strings.Contains(line, "/fallback/") && strings.Contains(line, ".go:") && !strings.Contains(line, "_test.go:") {
			return true
		}
	}
	return false
}

// appQuery is the application's own query in every test URL; it must reach
// the server byte for byte.
const appQuery = "room=42&x=a%20b&tetherish=1"

// failure is an error answer the fake gives instead of serving a mode.
type failure struct {
	status int
	body   string // sent as application/json when it starts with "{", else as text/html
	times  int    // answer this many requests so, then serve normally; 0: all
}

// seen is one request the fake received.
type seen struct {
	method, mode, rawQuery, key, accept, contentType string
	ack                                              string // tether_ack, "" if absent
}

// fake speaks just enough of PROTOCOL.md for one session: SSE attach with
// welcome, data events and heartbeats; poll-open and held polls that resend
// everything above the ack; sends answered with the server's recv.
type fake struct {
	t   *testing.T
	ca  *certs.CA
	srv *httptest.Server

	sid, key string

	mu      sync.Mutex
	changed chan struct{} // closed (and replaced) on every change
	welcome wire.Welcome  // template: timings and limits
	out     []wire.Frame  // server-to-client data, out[i].Seq == i+1
	tail    []wire.Frame  // frames after the data (a, c, s), sent after it on SSE and polls
	recv    uint64
	got     []string // payloads the client sent, in order
	reqs    []seen
	polls   int

	// Behaviour switches, set before the client acts.
	fail        map[string]failure      // mode -> error answer
	hb          time.Duration           // SSE heartbeat interval; 0: none
	hbThenFrame int                     // after this many heartbeats, add a data frame
	silentSSE   bool                    // after the welcome, send nothing
	endSSE      bool                    // end the stream once everything is sent
	sseJunk     string                  // raw bytes written before the welcome
	cutPolls    int                     // cut this many poll answers that carry frames
	inject      map[int][]string        // poll number -> texts to add as data when it arrives
	holdSend    chan struct{}           // if not nil, sends are answered once it is closed
	onSend      func(body []wire.Frame) // called with each send body
	mutePolls   bool                    // polls are never answered
	editWelcome func(w *wire.Welcome)   // if not nil, changes every welcome
	arrived     chan seen               // if not nil, gets every request (without blocking)
}

func newFake(t *testing.T) *fake {
	t.Helper()
	ca, err := certs.NewCA("fallback test root")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{
		t: t, ca: ca,
		sid: "q3Vb0xWk7c9rJm2TtQH1Aw", key: "Zp4rD0nYc1mE7uVh9sKxLg",
		changed: make(chan struct{}),
		welcome: wire.Welcome{
			V: 1, HB: 25000, Timeout: 45000, TTL: 120000, Max: 1 << 20, Poll: 25000,
			Transports: []string{wire.TransportWebSocket, wire.TransportSSE, wire.TransportPoll},
		},
		fail:   map[string]failure{},
		inject: map[int][]string{},
	}
	f.srv = httptest.NewUnstartedServer(f)
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected in the pin tests
	f.srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}}
	f.srv.StartTLS()
	f.arrived = make(chan seen, 256)
	t.Cleanup(f.srv.Close)
	return f
}

// url is the Tether URL on the fake, with the application's query.
func (f *fake) url() string { return f.srv.URL + "/rt?" + appQuery }

// dialer returns a Dialer for rawURL trusting the fake's CA, no proxy;
// tune may change the Config.
func (f *fake) dialer(t *testing.T, rawURL string, tune func(*transport.Config)) *transport.Dialer {
	t.Helper()
	cfg := &transport.Config{RootCAs: f.ca.Pool(), Proxy: transport.NoProxy}
	if tune != nil {
		tune(cfg)
	}
	d, err := transport.New(rawURL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.HTTPClient().CloseIdleConnections)
	return d
}

// set changes the fake's state under its lock and wakes every waiter.
func (f *fake) set(change func(f *fake)) {
	f.mu.Lock()
	change(f)
	f.wakeLocked()
	f.mu.Unlock()
}

func (f *fake) wakeLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// addText adds server-to-client text messages.
func (f *fake) addText(texts ...string) {
	f.set(func(f *fake) { f.addTextLocked(texts...) })
}

func (f *fake) addTextLocked(texts ...string) {
	for _, s := range texts {
		f.out = append(f.out, wire.Frame{Kind: wire.KindText, Seq: uint64(len(f.out) + 1), Data: []byte(s)})
	}
}

// waitFor waits until the fake has seen n requests of the given mode, or
// ctx ends; it reports which. It does not use t, so that goroutines can
// call it.
func (f *fake) waitFor(ctx context.Context, mode string, n int) bool {
	for len(f.modeRequests(mode)) < n {
		select {
		case <-f.arrived: // a request was recorded: count again
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// await is waitFor for the test goroutine.
func (f *fake) await(t *testing.T, mode string, n int) {
	t.Helper()
	if !f.waitFor(testCtx(t), mode, n) {
		t.Fatalf("fewer than %d %s requests arrived", n, mode)
	}
}

func (f *fake) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

func (f *fake) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got...)
}

// modeRequests returns the requests of one mode.
func (f *fake) modeRequests(mode string) []seen {
	var out []seen
	for _, s := range f.requests() {
		if s.mode == mode {
			out = append(out, s)
		}
	}
	return out
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	mode := q.Get(wire.ParamMode)
	f.mu.Lock()
	f.reqs = append(f.reqs, seen{
		method: r.Method, mode: mode, rawQuery: r.URL.RawQuery, key: strings.Join(r.Header.Values(wire.HeaderKey), ","),
		accept: r.Header.Get("Accept"), contentType: r.Header.Get("Content-Type"), ack: q.Get(wire.ParamAck),
	})
	fl, failing := f.fail[mode]
	if failing && fl.times > 0 {
		if fl.times--; fl.times == 0 {
			delete(f.fail, mode)
		} else {
			f.fail[mode] = fl
		}
	}
	if f.arrived != nil {
		select {
		case f.arrived <- f.reqs[len(f.reqs)-1]:
		default:
		}
	}
	f.mu.Unlock()
	if failing {
		writeFailure(w, fl)
		return
	}
	if q.Get(wire.ParamVersion) != "1" {
		writeFailure(w, failure{status: 400, body: `{"code":"bad_request","message":"tether_v","status":400}`})
		return
	}
	if sid := q.Get(wire.ParamSID); sid != "" || mode == wire.ModePoll || mode == wire.ModeSend {
		if sid != f.sid || r.Header.Get(wire.HeaderKey) != f.key {
			writeFailure(w, failure{status: 410, body: `{"code":"session_not_found","message":"no such session","status":410}`})
			return
		}
	}
	ack, _ := strconv.ParseUint(q.Get(wire.ParamAck), 10, 64)
	switch {
	case mode == wire.ModeSSE && r.Method == http.MethodGet:
		f.serveSSE(w, r, ack)
	case mode == wire.ModePollOpen && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		w.Write(f.welcomeBatch(q.Get(wire.ParamSID) != ""))
	case mode == wire.ModePoll && r.Method == http.MethodGet:
		f.servePoll(w, r, ack)
	case mode == wire.ModeSend && r.Method == http.MethodPost:
		f.serveSend(w, r)
	default:
		writeFailure(w, failure{status: 400, body: `{"code":"bad_request","message":"mode","status":400}`})
	}
}

func writeFailure(w http.ResponseWriter, fl failure) {
	if strings.HasPrefix(fl.body, "{") {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/html")
	}
	w.Header().Set("Cache-Control", "no-store")
	if fl.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(fl.status)
	w.Write([]byte(fl.body))
}

// welcomeFrame is the welcome of a new session, or of a resume.
func (f *fake) welcomeFrame(resumed bool) []byte {
	f.mu.Lock()
	wl := f.welcome
	wl.Ack = f.recv
	f.mu.Unlock()
	wl.SID, wl.Resumed = f.sid, resumed
	if !resumed {
		wl.Key = f.key
	}
	if f.editWelcome != nil {
		f.editWelcome(&wl)
	}
	b, err := wire.AppendJSON(nil, &wire.Frame{Kind: wire.KindWelcome, Welcome: &wl})
	if err != nil {
		panic(err)
	}
	return b
}

func (f *fake) welcomeBatch(resumed bool) []byte {
	return append(append([]byte("["), f.welcomeFrame(resumed)...), ']')
}

func (f *fake) serveSSE(w http.ResponseWriter, r *http.Request, ack uint64) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	f.mu.Lock()
	junk := f.sseJunk
	f.mu.Unlock()
	ev, _ := sse.AppendEvent([]byte(junk), sse.Event{Data: string(f.welcomeFrame(r.URL.Query().Get(wire.ParamSID) != ""))})
	if _, err := w.Write(ev); err != nil {
		return
	}
	rc.Flush()
	f.mu.Lock()
	silent, hb := f.silentSSE, f.hb
	f.mu.Unlock()
	if silent {
		<-r.Context().Done()
		return
	}
	var tick <-chan time.Time
	if hb > 0 {
		t := time.NewTicker(hb)
		defer t.Stop()
		tick = t.C
	}
	sent, tailSent, beats := ack, 0, 0
	for {
		f.mu.Lock()
		var buf []byte
		for _, fr := range f.out[min(sent, uint64(len(f.out))):] {
			data, _ := wire.AppendJSON(nil, &fr)
			buf, _ = sse.AppendEvent(buf, sse.Event{ID: strconv.FormatUint(fr.Seq, 10), Data: string(data)})
			sent = fr.Seq
		}
		for _, fr := range f.tail[tailSent:] {
			data, _ := wire.AppendJSON(nil, &fr)
			buf, _ = sse.AppendEvent(buf, sse.Event{Data: string(data)})
		}
		tailSent = len(f.tail)
		end, changed := f.endSSE, f.changed
		f.mu.Unlock()
		if len(buf) > 0 {
			if _, err := w.Write(buf); err != nil {
				return
			}
			rc.Flush()
		}
		if end {
			return
		}
		select {
		case <-changed:
		case <-tick:
			if _, err := w.Write([]byte(":hb\n\n")); err != nil {
				return
			}
			rc.Flush()
			beats++
			f.mu.Lock()
			if beats == f.hbThenFrame {
				f.addTextLocked("after heartbeats")
			}
			f.mu.Unlock()
		case <-r.Context().Done():
			return
		}
	}
}

func (f *fake) servePoll(w http.ResponseWriter, r *http.Request, ack uint64) {
	f.mu.Lock()
	f.polls++
	if texts, ok := f.inject[f.polls]; ok {
		f.addTextLocked(texts...)
		f.wakeLocked()
	}
	hold := time.Duration(f.welcome.Poll) * time.Millisecond
	mute := f.mutePolls
	f.mu.Unlock()
	if mute {
		<-r.Context().Done()
		return
	}
	timer := time.NewTimer(hold)
	defer timer.Stop()
	for {
		f.mu.Lock()
		frames := append([]wire.Frame(nil), f.out[min(ack, uint64(len(f.out))):]...)
		frames = append(frames, f.tail...)
		cut := len(frames) > 0 && f.cutPolls > 0
		if cut {
			f.cutPolls--
		}
		changed := f.changed
		f.mu.Unlock()
		if len(frames) > 0 {
			body, err := wire.AppendJSONBatch(nil, frames)
			if err != nil {
				panic(err)
			}
			if cut {
				cutAnswer(w, body)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
			return
		}
		select {
		case <-changed:
		case <-timer.C:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("[]"))
			return
		case <-r.Context().Done():
			return
		}
	}
}

// cutAnswer writes half of a 200 answer and closes the connection, as a
// proxy that cuts a poll does.
func cutAnswer(w http.ResponseWriter, body []byte) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	buf.Write(body[:len(body)/2])
	buf.Flush()
}

func (f *fake) serveSend(w http.ResponseWriter, r *http.Request) {
	var body []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Body.Read(buf)
		body = append(body, buf[:n]...)
		if err != nil {
			break
		}
	}
	frames, err := wire.ParseJSONBatch(body, 1024, 0)
	if err != nil {
		writeFailure(w, failure{status: 400, body: `{"code":"bad_request","message":"body","status":400}`})
		return
	}
	f.mu.Lock()
	hold, onSend := f.holdSend, f.onSend
	f.mu.Unlock()
	if onSend != nil {
		onSend(frames)
	}
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	var answer []wire.Frame
	f.mu.Lock()
	for _, fr := range frames {
		switch fr.Kind {
		case wire.KindText, wire.KindBinary:
			if fr.Seq == f.recv+1 {
				f.recv++
				f.got = append(f.got, string(fr.Data))
			}
		case wire.KindPing:
			answer = append(answer, wire.Frame{Kind: wire.KindPong, Seq: f.recv})
		}
	}
	answer = append([]wire.Frame{{Kind: wire.KindAck, Seq: f.recv}}, answer...)
	f.wakeLocked()
	f.mu.Unlock()
	out, _ := wire.AppendJSONBatch(nil, answer)
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}
