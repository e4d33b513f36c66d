//go:build !js

package fallback

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// dialers are the two transports under test, for table-driven tests that
// hold for both.
var dialers = []struct {
	name string
	dial func(context.Context, *dialOptions, link.Attach) (link.Link, error)
}{
	{wire.TransportSSE, dialSSE},
	{wire.TransportPoll, dialPoll},
}

// core stands in for the client core: it keeps recv and tells the link.
type core struct{ recv atomic.Uint64 }

// options returns dialOptions on d.
func testOptions(d *transport.Dialer, _ *core) *dialOptions {
	return &dialOptions{
		Dialer: d,
		Header: func() http.Header { return http.Header{"Authorization": {"Bearer app-token"}} },
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dial dials and closes the link when the test ends.
func dial(t *testing.T, dial func(context.Context, *dialOptions, link.Attach) (link.Link, error), o *dialOptions, a link.Attach) link.Link {
	t.Helper()
	l, err := dial(testCtx(t), o, a)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// recv takes n frames, keeping c's recv as the core would.
func recv(t *testing.T, l link.Link, c *core, n int) []wire.Frame {
	t.Helper()
	var out []wire.Frame
	for range n {
		f, err := l.Recv(testCtx(t))
		if err != nil {
			t.Fatalf("Recv after %d frames: %v", len(out), err)
		}
		if (f.Kind == wire.KindText || f.Kind == wire.KindBinary) && f.Seq == c.recv.Load()+1 {
			c.recv.Store(f.Seq)
			l.Acked(f.Seq)
		}
		out = append(out, f)
	}
	return out
}

// recvErr calls Recv until it fails and returns the error and the frames
// before it.
func recvErr(t *testing.T, l link.Link) ([]wire.Frame, error) {
	t.Helper()
	var out []wire.Frame
	for {
		f, err := l.Recv(testCtx(t))
		if err != nil {
			return out, err
		}
		out = append(out, f)
	}
}

// describe renders frames compactly: m1:hello a2 s.
func describe(frames []wire.Frame) string {
	var b strings.Builder
	for i, f := range frames {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(byte(f.Kind))
		switch f.Kind {
		case wire.KindText, wire.KindBinary:
			b.WriteString(itoa(f.Seq) + ":" + string(f.Data))
		case wire.KindAck, wire.KindPing, wire.KindPong:
			b.WriteString(itoa(f.Seq))
		}
	}
	return b.String()
}

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

func texts(ss ...string) []wire.Frame {
	out := make([]wire.Frame, len(ss))
	for i, s := range ss {
		out[i] = wire.Frame{Kind: wire.KindText, Seq: uint64(i + 1), Data: []byte(s)}
	}
	return out
}

// TestDataInOrder: after a new-session attach, both links hand out the
// welcome and then the server's data, in order, one frame per Recv.
func TestDataInOrder(t *testing.T) {
	for _, tr := range dialers {
		t.Run(tr.name, func(t *testing.T) {
			f := newFake(t)
			f.addText("one", "two", "three")
			f.set(func(f *fake) {
				f.out = append(f.out, wire.Frame{Kind: wire.KindBinary, Seq: 4, Data: []byte{0, 0xff, 0x10}})
			})
			c := &core{}
			l := dial(t, tr.dial, testOptions(f.dialer(t, f.url(), nil), c), link.Attach{})
			if l.Transport() != tr.name {
				t.Errorf("Transport() = %q, want %q", l.Transport(), tr.name)
			}
			w := l.Welcome()
			if w.SID != f.sid || w.Key != f.key || w.Resumed || w.Max != 1<<20 || w.Poll != 25000 {
				t.Errorf("Welcome() = %+v", w)
			}
			got := describe(recv(t, l, c, 4))
			if want := "m1:one m2:two m3:three b4:\x00\xff\x10"; got != want {
				t.Errorf("frames %q, want %q", got, want)
			}
		})
	}
}

// TestRequestsCarryParams: on a resume, every request (attach, polls,
// sends) keeps the application's query byte for byte, adds Tether's
// parameters, and carries the key in the Tether-Key header, never in the
// URL; the application's headers come along.
func TestRequestsCarryParams(t *testing.T) {
	for _, tr := range dialers {
		t.Run(tr.name, func(t *testing.T) {
			f := newFake(t)
			f.addText("one", "two", "three")
			c := &core{}
			c.recv.Store(2)
			// The application's URL carries a stale tether_key and mode: dropped.
			d := f.dialer(t, f.srv.URL+"/rt?"+appQuery+"&tether_key=LEAK&tether=x", nil)
			var auth atomic.Int32
			o := testOptions(d, c)
			o.Header = func() http.Header {
				auth.Add(1)
				return http.Header{"Authorization": {"Bearer app-token"}, "Tether-Key": {"not-this"}, "tether-key": {"nor-this"}}
			}
			l := dial(t, tr.dial, o, link.Attach{SID: f.sid, Key: f.key, Ack: 2})
			if w := l.Welcome(); !w.Resumed || w.Key != "" {
				t.Errorf("welcome of a resume: %+v", w)
			}
			if got := describe(recv(t, l, c, 1)); got != "m3:three" {
				t.Errorf("after ack 2 got %q, want m3:three", got)
			}
			if err := l.Send(testCtx(t), texts("hi")); err != nil {
				t.Fatal(err)
			}
			reqs := f.requests()
			if len(reqs) < 2 {
				t.Fatalf("only %d requests", len(reqs))
			}
			for _, r := range reqs {
				if !strings.HasPrefix(r.rawQuery, appQuery+"&tether=") {
					t.Errorf("%s %s: query %q does not start with the application's %q", r.method, r.mode, r.rawQuery, appQuery)
				}
				if strings.Contains(r.rawQuery, "tether_key") || strings.Contains(r.rawQuery, f.key) || strings.Contains(r.rawQuery, "LEAK") {
					t.Errorf("%s %s: the key is in the URL: %q", r.method, r.mode, r.rawQuery)
				}
				if r.key != f.key {
					t.Errorf("%s %s: Tether-Key header %q, want the session key", r.method, r.mode, r.key)
				}
				if !strings.Contains(r.rawQuery, "&tether_v=1&tether_sid="+f.sid) {
					t.Errorf("%s %s: query %q lacks tether_v and tether_sid", r.method, r.mode, r.rawQuery)
				}
				switch r.mode {
				case wire.ModeSSE:
					if r.ack != "2" || r.accept != "text/event-stream" {
						t.Errorf("sse attach: ack %q accept %q", r.ack, r.accept)
					}
				case wire.ModePollOpen, wire.ModePoll:
					if r.ack == "" {
						t.Errorf("%s without tether_ack", r.mode)
					}
				case wire.ModeSend:
					if r.ack != "" || r.method != http.MethodPost || r.contentType != "application/json" {
						t.Errorf("send: %+v", r)
					}
				default:
					t.Errorf("unexpected request %+v", r)
				}
			}
			if n := int(auth.Load()); n < len(reqs) {
				t.Errorf("Header called %d times for %d requests", n, len(reqs))
			}
		})
	}
}

// TestSendAcksThroughRecv: Send POSTs the batch, and the server's answer
// (its ack, a pong for a ping) comes out of Recv, also while a poll is held.
func TestSendAcksThroughRecv(t *testing.T) {
	for _, tr := range dialers {
		t.Run(tr.name, func(t *testing.T) {
			f := newFake(t)
			c := &core{}
			l := dial(t, tr.dial, testOptions(f.dialer(t, f.url(), nil), c), link.Attach{})
			batch := append(texts("hello", "how are you"), wire.Frame{Kind: wire.KindPing, Seq: 0})
			if err := l.Send(testCtx(t), batch); err != nil {
				t.Fatal(err)
			}
			if got := describe(recv(t, l, c, 2)); got != "a2 q2" {
				t.Errorf("Recv after Send: %q, want the send answer a2 q2", got)
			}
			if got := strings.Join(f.received(), "|"); got != "hello|how are you" {
				t.Errorf("server received %q", got)
			}
		})
	}
}

// TestErrorAnswers: an attach answered with an error is a classified
// *transport.HandshakeError with the status, wrapped in a *link.ServerError
// when the body is a Tether error object; a captive portal's 200 page is
// ClassRefused.
func TestErrorAnswers(t *testing.T) {
	cases := []struct {
		name   string
		fail   failure
		code   string // "" = no ServerError
		status int
		class  transport.Class
	}{
		{"session_not_found", failure{status: 410, body: `{"code":"session_not_found","message":"no such session","status":410}`}, wire.CodeSessionNotFound, 410, transport.ClassRefused},
		{"unauthorized", failure{status: 401, body: `{"code":"unauthorized","message":"token expired","status":401}`}, wire.CodeUnauthorized, 401, transport.ClassUnauthorized},
		{"internal", failure{status: 500, body: `{"code":"internal","message":"internal error","status":500}` + "\n"}, wire.CodeInternal, 500, transport.ClassServer},
		{"bare 500", failure{status: 500, body: "<h1>oops</h1>"}, "", 500, transport.ClassServer},
		{"not JSON error", failure{status: 502, body: `{"error":"bad gateway"}`}, "", 502, transport.ClassServer},
		{"captive portal", failure{status: 200, body: "<html>log in to the hotel wifi</html>"}, "", 200, transport.ClassRefused},
	}
	for _, tr := range dialers {
		for _, tc := range cases {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				f := newFake(t)
				mode := wire.ModeSSE
				if tr.name == wire.TransportPoll {
					mode = wire.ModePollOpen
				}
				f.fail[mode] = tc.fail
				_, err := tr.dial(testCtx(t), testOptions(f.dialer(t, f.url(), nil), &core{}), link.Attach{SID: f.sid, Key: f.key, Ack: 1})
				if err == nil {
					t.Fatal("dial succeeded")
				}
				var he *transport.HandshakeError
				if !errors.As(err, &he) || he.StatusCode != tc.status || he.Transport != tr.name {
					t.Fatalf("error %v: want a HandshakeError with status %d for %s", err, tc.status, tr.name)
				}
				if c := transport.Classify(err); c != tc.class {
					t.Errorf("Classify = %v, want %v", c, tc.class)
				}
				var se *link.ServerError
				switch {
				case tc.code == "" && errors.As(err, &se):
					t.Errorf("unexpected ServerError %v", se)
				case tc.code != "" && !errors.As(err, &se):
					t.Errorf("error %v is not a ServerError", err)
				case tc.code != "" && (se.Answer.Code != tc.code || se.Transport != tr.name):
					t.Errorf("ServerError %+v, want code %s", se, tc.code)
				}
				if strings.Contains(err.Error(), f.key) {
					t.Errorf("the key is in the error: %v", err)
				}
			})
		}
	}
}

// TestPinsApply: the links use the Dialer's client, so a pin that does not
// match the server's chain fails the attach with ErrPinMismatch (ClassTLS).
func TestPinsApply(t *testing.T) {
	for _, tr := range dialers {
		t.Run(tr.name, func(t *testing.T) {
			f := newFake(t)
			d := f.dialer(t, f.url(), func(c *transport.Config) {
				c.Pins = []transport.Pin{{Hash: "sha256/" + strings.Repeat("A", 43) + "="}}
			})
			_, err := tr.dial(testCtx(t), testOptions(d, &core{}), link.Attach{})
			if !errors.Is(err, transport.ErrPinMismatch) {
				t.Fatalf("error %v, want ErrPinMismatch", err)
			}
			if c := transport.Classify(err); c != transport.ClassTLS {
				t.Errorf("Classify = %v, want tls", c)
			}
			if n := len(f.requests()); n != 0 {
				t.Errorf("the server saw %d requests through a mismatched pin", n)
			}
		})
	}
}

// TestOptionsRequired: a missing Dialer (or a missing Ack for polling) and
// a probe attach are refused before any request.
func TestOptionsRequired(t *testing.T) {
	f := newFake(t)
	d := f.dialer(t, f.url(), nil)
	cases := []struct {
		name string
		dial func(context.Context, *dialOptions, link.Attach) (link.Link, error)
		o    *dialOptions
		a    link.Attach
	}{
		{"sse nil options", dialSSE, nil, link.Attach{}},
		{"poll no dialer", dialPoll, &dialOptions{}, link.Attach{}},
		{"sse probe", dialSSE, &dialOptions{Dialer: d}, link.Attach{Probe: true}},
		{"poll probe", dialPoll, &dialOptions{Dialer: d}, link.Attach{Probe: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.dial(testCtx(t), tc.o, tc.a); err == nil {
				t.Error("dial succeeded")
			}
		})
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests made", n)
	}
}

// TestWelcomeChecked: an attach answered with a welcome that does not fit
// it (another version, another session, a new session without a key) is
// not Tether as this client speaks it: class refused, the reason wrapped.
func TestWelcomeChecked(t *testing.T) {
	cases := []struct {
		name string
		edit func(w *wire.Welcome)
		a    func(f *fake) link.Attach
	}{
		{"version 2", func(w *wire.Welcome) { w.V = 2 }, func(*fake) link.Attach { return link.Attach{} }},
		{"new session without key", func(w *wire.Welcome) { w.Key = "" }, func(*fake) link.Attach { return link.Attach{} }},
		{"another session", func(w *wire.Welcome) { w.SID = "other" }, func(f *fake) link.Attach {
			return link.Attach{SID: f.sid, Key: f.key}
		}},
	}
	for _, tr := range dialers {
		for _, tc := range cases {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				f := newFake(t)
				f.set(func(f *fake) { f.editWelcome = tc.edit })
				_, err := tr.dial(testCtx(t), testOptions(f.dialer(t, f.url(), nil), &core{}), tc.a(f))
				if !errors.Is(err, wire.ErrMalformed) || transport.Classify(err) != transport.ClassRefused {
					t.Errorf("error %v, want a refusal wrapping ErrMalformed", err)
				}
			})
		}
	}
	t.Run("sse error event first", func(t *testing.T) {
		f := newFake(t)
		f.set(func(f *fake) {
			f.sseJunk = "data: [\"e\",{\"code\":\"session_not_found\",\"message\":\"gone\"}]\n\n"
		})
		_, err := dialSSE(testCtx(t), testOptions(f.dialer(t, f.url(), nil), &core{}), link.Attach{SID: f.sid, Key: f.key})
		var se *link.ServerError
		if !errors.As(err, &se) || se.Answer.Code != wire.CodeSessionNotFound || transport.Classify(err) != transport.ClassRefused {
			t.Errorf("error %v, want a ServerError session_not_found (410: refused)", err)
		}
	})
}
