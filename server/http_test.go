package server

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

func TestSSESessionAndResume(t *testing.T) {
	r := newRig(t, echo, nil)
	st, code := r.openSSE(q(wire.ParamMode, wire.ModeSSE), "")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	if h := st.resp.Header; h.Get("Content-Type") != "text/event-stream" || h.Get("X-Accel-Buffering") != "no" || h.Get("Cache-Control") != "no-cache" {
		t.Fatalf("headers %v", h)
	}
	w := st.next(t)
	if w.Kind != wire.KindWelcome || w.Welcome.Key == "" {
		t.Fatalf("first event: %+v", w)
	}
	sid, key := w.Welcome.SID, w.Welcome.Key
	send := q(wire.ParamMode, wire.ModeSend, wire.ParamSID, sid)
	code, ans, _ := r.post(send, key, text(1, "a"), text(2, "b"), text(3, "c"))
	if code != 200 || len(ans) == 0 || ans[0].Kind != wire.KindAck || ans[0].Seq != 3 {
		t.Fatalf("send answer %d %+v", code, ans)
	}
	for i, m := range []string{"a", "b", "c"} {
		want(t, st.nextData(t), wire.KindText, uint64(i+1), m)
	}
	// Resending 2..4 (the client is unsure what arrived) delivers only 4.
	r.post(send, key, text(2, "b"), text(3, "c"), text(4, "d"))
	want(t, st.nextData(t), wire.KindText, 4, "d")
	st.resp.Body.Close()

	// Resume with ack 2: seqs 3 and 4 come again, on a fresh stream.
	st2, code := r.openSSE(q(wire.ParamMode, wire.ModeSSE, wire.ParamSID, sid, wire.ParamAck, "2"), key)
	if code != 200 {
		t.Fatalf("resume status %d", code)
	}
	w = st2.next(t)
	if !w.Welcome.Resumed || w.Welcome.Ack != 4 || w.Welcome.Key != "" {
		t.Fatalf("resume welcome %+v", w.Welcome)
	}
	want(t, st2.nextData(t), wire.KindText, 3, "c")
	want(t, st2.nextData(t), wire.KindText, 4, "d")

	// The key in the query works too (browsers' EventSource), a wrong one does not.
	if _, code := r.openSSE(q(wire.ParamMode, wire.ModeSSE, wire.ParamSID, sid, wire.ParamKey, key, wire.ParamAck, "4"), ""); code != 200 {
		t.Fatalf("query key: %d", code)
	}
	if code, _, e := r.get(q(wire.ParamMode, wire.ModeSSE, wire.ParamSID, sid, wire.ParamAck, "4"), "wrong"); code != 410 || e.Code != wire.CodeSessionNotFound {
		t.Fatalf("wrong key: %d %+v", code, e)
	}
}

func TestLongPollSession(t *testing.T) {
	r := newRig(t, echo, &Options{PollHold: 200 * time.Millisecond})
	code, fr, _ := r.get(q(wire.ParamMode, wire.ModePollOpen), "")
	if code != 200 || len(fr) != 1 || fr[0].Kind != wire.KindWelcome || fr[0].Welcome.Poll != 200 {
		t.Fatalf("open: %d %+v", code, fr)
	}
	sid, key := fr[0].Welcome.SID, fr[0].Welcome.Key
	poll := func(ack uint64) []wire.Frame {
		t.Helper()
		code, fr, e := r.get(q(wire.ParamMode, wire.ModePoll, wire.ParamSID, sid, wire.ParamAck, strconv.FormatUint(ack, 10)), key)
		if code != 200 {
			t.Fatalf("poll: %d %+v", code, e)
		}
		return fr
	}
	// Nothing pending: the hold expires with an empty answer.
	if fr := poll(0); len(fr) != 0 {
		t.Fatalf("idle poll: %+v", fr)
	}
	send := q(wire.ParamMode, wire.ModeSend, wire.ParamSID, sid)
	var batch []wire.Frame
	for i, m := range msgs(10) {
		batch = append(batch, text(uint64(i+1), m))
	}
	if code, ans, _ := r.post(send, key, batch...); code != 200 || ans[0].Seq != 10 {
		t.Fatalf("send: %d %+v", code, ans)
	}
	got := dataOf(waitData(t, poll, 0, 10))
	if len(got) != 10 || got[0].Seq != 1 || got[9].Seq != 10 {
		t.Fatalf("poll data: %+v", got)
	}
	// The answer is "lost" (a proxy cut it): polling again with the same ack
	// gets the same frames.
	again := dataOf(waitData(t, poll, 0, 10))
	if len(again) != 10 || string(again[3].Data) != "m0004" {
		t.Fatalf("re-poll: %+v", again)
	}
	// Acking 10 leaves nothing; the next poll holds and expires empty.
	if fr := dataOf(poll(10)); len(fr) != 0 {
		t.Fatalf("after ack: %+v", fr)
	}
}

// waitData polls (ack fixed) until n data frames came in one answer.
func waitData(t *testing.T, poll func(uint64) []wire.Frame, ack uint64, n int) []wire.Frame {
	t.Helper()
	for i := 0; i < 50; i++ {
		fr := poll(ack)
		if len(dataOf(fr)) >= n {
			return fr
		}
	}
	t.Fatalf("never got %d data frames", n)
	return nil
}

func dataOf(fr []wire.Frame) []wire.Frame {
	var out []wire.Frame
	for _, f := range fr {
		if f.Kind == wire.KindText || f.Kind == wire.KindBinary {
			out = append(out, f)
		}
	}
	return out
}

func TestHTTPRefusals(t *testing.T) {
	r := newRig(t, echo, &Options{MaxMessageBytes: 8, MaxSessions: 1, Transports: []string{"websocket", "longpoll"}})
	code, fr, _ := r.get(q(wire.ParamMode, wire.ModePollOpen), "")
	if code != 200 {
		t.Fatal(code)
	}
	sid, key := fr[0].Welcome.SID, fr[0].Welcome.Key
	tests := []struct {
		name   string
		do     func() (int, []wire.Frame, wire.Error)
		status int
		code   string
	}{
		{"too many sessions", func() (int, []wire.Frame, wire.Error) { return r.get(q(wire.ParamMode, wire.ModePollOpen), "") }, 429, wire.CodeTooManySessions},
		{"disabled transport", func() (int, []wire.Frame, wire.Error) { return r.get(q(wire.ParamMode, wire.ModeSSE), "") }, 404, wire.CodeTransportDisabled},
		{"bad version", func() (int, []wire.Frame, wire.Error) {
			v := q(wire.ParamMode, wire.ModePoll)
			v.Set(wire.ParamVersion, "9")
			return r.get(v, key)
		}, 400, wire.CodeUnsupportedVersion},
		{"unknown mode", func() (int, []wire.Frame, wire.Error) { return r.get(q(wire.ParamMode, "teleport"), "") }, 400, wire.CodeBadRequest},
		{"no mode", func() (int, []wire.Frame, wire.Error) { return r.get(nil, "") }, 400, wire.CodeBadRequest},
		{"unknown session", func() (int, []wire.Frame, wire.Error) {
			return r.get(q(wire.ParamMode, wire.ModePoll, wire.ParamSID, "forged"), key)
		}, 410, wire.CodeSessionNotFound},
		{"no key", func() (int, []wire.Frame, wire.Error) {
			return r.get(q(wire.ParamMode, wire.ModePoll, wire.ParamSID, sid), "")
		}, 410, wire.CodeSessionNotFound},
		{"too large", func() (int, []wire.Frame, wire.Error) {
			return r.post(q(wire.ParamMode, wire.ModeSend, wire.ParamSID, sid), key, text(1, "longer than eight"))
		}, 413, wire.CodeMessageTooLarge},
		{"malformed body", func() (int, []wire.Frame, wire.Error) {
			req, _ := http.NewRequest(http.MethodPost, r.url(q(wire.ParamMode, wire.ModeSend, wire.ParamSID, sid)), stringsReader("[[\"m\",1"))
			req.Header.Set(wire.HeaderKey, key)
			return r.do(req)
		}, 400, wire.CodeBadRequest},
		{"ack of never sent", func() (int, []wire.Frame, wire.Error) {
			return r.post(q(wire.ParamMode, wire.ModeSend, wire.ParamSID, sid), key, wire.Frame{Kind: wire.KindAck, Seq: 99})
		}, 400, wire.CodeBadRequest},
		{"bad ack", func() (int, []wire.Frame, wire.Error) {
			return r.get(q(wire.ParamMode, wire.ModePoll, wire.ParamSID, sid, wire.ParamAck, "-1"), key)
		}, 400, wire.CodeBadRequest},
		{"cross-site origin", func() (int, []wire.Frame, wire.Error) {
			req, _ := http.NewRequest(http.MethodGet, r.url(q(wire.ParamMode, wire.ModePollOpen)), nil)
			req.Header.Set("Origin", "https://evil.example")
			return r.do(req)
		}, 403, wire.CodeForbiddenOrigin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, e := tt.do()
			if status != tt.status || e.Code != tt.code || e.Message == "" {
				t.Fatalf("got %d %+v, want %d %s", status, e, tt.status, tt.code)
			}
		})
	}
}

func TestSessionExpiresAfterTTL(t *testing.T) {
	ended := make(chan error, 1)
	r := newRig(t, func(s *Session) {
		_, err := s.Receive(context.Background())
		ended <- err
	}, &Options{SessionTTL: 100 * time.Millisecond})
	code, fr, _ := r.get(q(wire.ParamMode, wire.ModePollOpen), "")
	if code != 200 {
		t.Fatal(code)
	}
	select {
	case err := <-ended:
		if err != ErrExpired {
			t.Fatalf("Receive: %v, want ErrExpired", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("session never expired")
	}
	code, _, e := r.get(q(wire.ParamMode, wire.ModePoll, wire.ParamSID, fr[0].Welcome.SID, wire.ParamAck, "0"), fr[0].Welcome.Key)
	if code != 410 || e.Code != wire.CodeSessionNotFound {
		t.Fatalf("poll after expiry: %d %+v", code, e)
	}
}
