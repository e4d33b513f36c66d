//go:build !js

package fallback

import (
	"errors"
	"strings"
	"testing"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// TestStripTetherParams: Tether's own parameters are dropped from the
// application's URL, everything else stays byte for byte.
func TestStripTetherParams(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"room=42", "room=42"},
		{"b=2&a=1&x=a%20b+c", "b=2&a=1&x=a%20b+c"},
		{"room=42&tether=sse&tether_v=2", "room=42"},
		{"tether_key=SECRET&room=1", "room=1"},
		{"tether%5Fkey=SECRET&room=1", "room=1"},
		{"tetherish=1&tether_other=2&flag", "tetherish=1&tether_other=2&flag"},
		{"tether_sid=a&tether_ack=3", ""},
	}
	for _, tc := range cases {
		if got := stripTetherParams(tc.in); got != tc.want {
			t.Errorf("stripTetherParams(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestURL: Tether's parameters follow the application's, in the order of
// PROTOCOL.md, with tether_sid once there is a session.
func TestURL(t *testing.T) {
	f := newFake(t)
	c, err := testOptions(f.dialer(t, f.srv.URL+"/rt?room=42#frag", nil), &core{}).resolve()
	if err != nil {
		t.Fatal(err)
	}
	r := newRequester(c, wire.TransportPoll, link.Attach{})
	base := f.srv.URL + "/rt?room=42&tether="
	if got, want := r.url(wire.ModePollOpen, false, 0), base+"poll-open&tether_v=1"; got != want {
		t.Errorf("new session: %s, want %s", got, want)
	}
	r.sid = "S-_1"
	if got, want := r.url(wire.ModePoll, true, 7), base+"poll&tether_v=1&tether_sid=S-_1&tether_ack=7"; got != want {
		t.Errorf("poll: %s, want %s", got, want)
	}
	if got, want := r.url(wire.ModeSend, false, 0), base+"send&tether_v=1&tether_sid=S-_1"; got != want {
		t.Errorf("send: %s, want %s", got, want)
	}
	// A new-session attach with an attempt id names it (PROTOCOL.md 4.8),
	// until the welcome names the session.
	r = newRequester(c, wire.TransportSSE, link.Attach{Attempt: "AAAAAAAAAAAAAAAAAAAAAA"})
	if got, want := r.url(wire.ModeSSE, false, 0), base+"sse&tether_v=1&tether_attempt=AAAAAAAAAAAAAAAAAAAAAA"; got != want {
		t.Errorf("new session with an attempt id: %s, want %s", got, want)
	}
	r.sid = "S-_1"
	if got := r.url(wire.ModeSend, false, 0); strings.Contains(got, wire.ParamAttempt) {
		t.Errorf("a request of the session carries the attempt id: %s", got)
	}
}

// TestSendSplits: a batch over 1024 frames, or over 6 x max + 64 KiB of
// JSON, goes out in several sends, one after another, in order; each
// answer's ack comes out of Recv.
func TestSendSplits(t *testing.T) {
	cases := []struct {
		name   string
		max    int64
		frames int
		size   int
		posts  int
	}{
		{"one body", 1 << 20, 1024, 1, 1},
		{"by frames", 1 << 20, 2500, 1, 3},
		// 6 x 1000 + 65536 bytes fit 77 frames of ~915 bytes.
		{"by bytes", 1000, 200, 900, 3},
	}
	for _, tr := range dialers {
		for _, tc := range cases {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				f := newFake(t)
				limit := int(bodyLimit(tc.max))
				f.set(func(f *fake) {
					f.welcome.Max = tc.max
					f.onSend = func(body []wire.Frame) {
						b, _ := wire.AppendJSONBatch(nil, body)
						if len(body) > maxBodyFrames || len(b) > limit {
							t.Errorf("a body of %d frames, %d bytes", len(body), len(b))
						}
					}
				})
				c := &core{}
				l := dial(t, tr.dial, testOptions(f.dialer(t, f.url(), nil), c), link.Attach{})
				batch := make([]wire.Frame, tc.frames)
				want := make([]string, tc.frames)
				for i := range batch {
					want[i] = itoa(uint64(i+1)) + strings.Repeat("x", tc.size)
					batch[i] = wire.Frame{Kind: wire.KindText, Seq: uint64(i + 1), Data: []byte(want[i])}
				}
				if err := l.Send(testCtx(t), batch); err != nil {
					t.Fatal(err)
				}
				if n := len(f.modeRequests(wire.ModeSend)); n != tc.posts {
					t.Errorf("%d sends, want %d", n, tc.posts)
				}
				if got := f.received(); strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("server received %d messages, want %d in order", len(got), len(want))
				}
				acks := recv(t, l, c, tc.posts)
				if last := acks[len(acks)-1]; last.Kind != wire.KindAck || last.Seq != uint64(tc.frames) {
					t.Errorf("last answer %s, want a%d", describe(acks), tc.frames)
				}
			})
		}
	}
}

// TestPayloadBoundIsTheSmallerMax: once welcomed, payloads are bounded by
// the smaller of dialOptions.MaxMessage and the welcome's max. A welcome cannot
// raise the client's own bound (issue 10: a server announcing max = 1 GiB
// made the client read gigabytes), but it can lower it.
func TestPayloadBoundIsTheSmallerMax(t *testing.T) {
	cases := []struct {
		name     string
		own, max int
		size     int
		ok       bool
		why      string // in the error
	}{
		{"within both", 4000, 8000, 3000, true, ""},
		{"over own, within the welcome's max", 1000, 4000, 3000, false, "raise client.Options.MaxMessageBytes"},
		{"within own, over the welcome's max", 4000, 1000, 3000, false, "the server's max (1000 bytes, below the client's 4000), and the server broke it"},
	}
	for _, tr := range dialers {
		for _, tc := range cases {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				f := newFake(t)
				f.set(func(f *fake) { f.welcome.Max = int64(tc.max) })
				f.addText(strings.Repeat("é", tc.size/2)) // 2 bytes each
				c := &core{}
				o := testOptions(f.dialer(t, f.url(), nil), c)
				o.MaxMessage = tc.own
				l := dial(t, tr.dial, o, link.Attach{})
				f1, err := l.Recv(testCtx(t))
				switch {
				case tc.ok && (err != nil || len(f1.Data) != tc.size):
					t.Errorf("Recv: %d bytes, %v; want %d bytes", len(f1.Data), err, tc.size)
				case !tc.ok && (!errors.Is(err, wire.ErrTooLarge) || !errors.Is(err, transport.ErrLimit)):
					t.Errorf("Recv: %v, want a LimitError matching wire.ErrTooLarge", err)
				case !tc.ok && !strings.Contains(err.Error(), tc.why):
					t.Errorf("Recv: %v; want it to say %q", err, tc.why)
				}
			})
		}
	}
}

// TestParseErrorObject: only a valid Tether error object makes a
// ServerError out of an error answer's body.
func TestParseErrorObject(t *testing.T) {
	cases := []struct {
		body string
		code string // "" = not an error object
	}{
		{`{"code":"session_not_found","message":"no such session","status":410}`, wire.CodeSessionNotFound},
		{"{\"code\":\"internal\"}\r\n", wire.CodeInternal},
		{`{"code":"future_code","extra":[1,2]}`, "future_code"},
		{`{"message":"no code"}`, ""},
		{`{"code":""}`, ""},
		{`{"code":"x"}],["e",{"code":"y"}`, ""},
		{`<html>`, ""},
		{``, ""},
	}
	for _, tc := range cases {
		e, ok := parseErrorObject([]byte(tc.body))
		switch {
		case tc.code == "" && ok:
			t.Errorf("%q parsed as %+v", tc.body, e)
		case tc.code != "" && (!ok || e.Code != tc.code):
			t.Errorf("%q: %+v, %v; want code %s", tc.body, e, ok, tc.code)
		}
	}
}
