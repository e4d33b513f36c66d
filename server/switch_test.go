package server

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// producer sends n messages, then echoes what it receives.
func producer(n int) func(*Session) {
	return func(s *Session) {
		for i := 1; i <= n; i++ {
			if s.Send(s.Context(), Text(fmt.Sprintf("srv-%d", i))) != nil {
				return
			}
		}
		for {
			m, err := s.Receive(s.Context())
			if err != nil {
				return
			}
			s.Send(s.Context(), Text("echo:"+string(m.Data)))
		}
	}
}

// receiver keeps what a client delivered, by the receiver rule.
type receiver struct {
	t    *testing.T
	recv uint64
	got  []string
}

func (rc *receiver) take(frames ...wire.Frame) {
	for _, f := range frames {
		if f.Kind != wire.KindText {
			continue
		}
		switch {
		case f.Seq <= rc.recv:
		case f.Seq == rc.recv+1:
			rc.recv++
			rc.got = append(rc.got, string(f.Data))
		default:
			rc.t.Fatalf("gap: seq %d after %d", f.Seq, rc.recv)
		}
	}
}

func TestSwitchLongPollToWebSocket(t *testing.T) {
	const n = 300
	r := newRig(t, producer(n), &Options{PollHold: 5 * time.Second})
	_, fr, _ := r.get(q(wire.ParamMode, wire.ModePollOpen), "")
	sid, key := fr[0].Welcome.SID, fr[0].Welcome.Key
	rc := &receiver{t: t}
	poll := func() []wire.Frame {
		_, fr, e := r.get(q(wire.ParamMode, wire.ModePoll, wire.ParamSID, sid, wire.ParamAck, strconv.FormatUint(rc.recv, 10)), key)
		if e.Code != "" {
			t.Fatalf("poll: %+v", e)
		}
		return fr
	}
	// Take some of the stream by polling, and send 1..5 by POST.
	for rc.recv < 20 {
		rc.take(poll()...)
	}
	send := q(wire.ParamMode, wire.ModeSend, wire.ParamSID, sid)
	for i := 1; i <= 5; i++ {
		r.post(send, key, text(uint64(i), fmt.Sprintf("c%d", i)))
	}
	// A poll is held while the WebSocket probes and upgrades.
	held := make(chan []wire.Frame, 1)
	go func() {
		_, fr, _ := r.get(q(wire.ParamMode, wire.ModePoll, wire.ParamSID, sid, wire.ParamAck, strconv.FormatUint(rc.recv, 10)), key)
		held <- fr
	}()
	c, _, err := r.dialWS(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wsWrite(t, c, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: 1, SID: sid, Key: key, Ack: rc.recv, Probe: true}})
	w := wsRead(t, c)
	if w.Kind != wire.KindWelcome || !w.Welcome.Probe || w.Welcome.Ack != 5 {
		t.Fatalf("probe welcome: %+v", w.Welcome)
	}
	wsWrite(t, c, wire.Frame{Kind: wire.KindPing, Seq: rc.recv})
	if f := wsRead(t, c); f.Kind != wire.KindPong {
		t.Fatalf("probe ping answered with %s", f.Kind)
	}
	wsWrite(t, c, wire.Frame{Kind: wire.KindUpgrade, Seq: rc.recv})
	// The held poll may have carried data or the server's ack (PROTOCOL.md
	// 9.2: a change of the server's recv wakes a held poll) before the
	// upgrade; then the next poll says superseded.
	fr = <-held
	rc.take(fr...)
	if last := fr[len(fr)-1]; len(dataOf(fr)) == 0 && last.Kind != wire.KindSuperseded && last.Kind != wire.KindAck {
		t.Fatalf("held poll answered %+v, want superseded", fr)
	}
	// Polls that reach the server before it has applied the u (it was only
	// written) still carry the stream; once applied, a poll says superseded.
	for i := 0; ; i++ {
		fr := poll()
		if len(fr) == 1 && fr[0].Kind == wire.KindSuperseded {
			break
		}
		if i == 100 || slices.ContainsFunc(fr, func(f wire.Frame) bool { return f.Kind == wire.KindSuperseded }) {
			t.Fatalf("poll after upgrade: %+v", fr)
		}
		rc.take(fr...)
	}
	// Resend 4..7 on the WebSocket: 4, 5 are duplicates.
	for i := 4; i <= 7; i++ {
		wsWrite(t, c, text(uint64(i), fmt.Sprintf("c%d", i)))
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(rc.got) < n+7 && time.Now().Before(deadline) {
		rc.take(wsReadData(t, c))
	}
	var srv, echoes []string
	for _, m := range rc.got {
		if strings.HasPrefix(m, "echo:") {
			echoes = append(echoes, m)
		} else {
			srv = append(srv, m)
		}
	}
	if len(srv) != n || srv[0] != "srv-1" || srv[n-1] != fmt.Sprintf("srv-%d", n) {
		t.Fatalf("server stream: %d messages", len(srv))
	}
	for i, e := range echoes {
		if e != fmt.Sprintf("echo:c%d", i+1) {
			t.Fatalf("echoes %v", echoes)
		}
	}
	if len(echoes) != 7 {
		t.Fatalf("echoes %v, want c1..c7 once each", echoes)
	}
}

func TestSendBackpressureAndClose(t *testing.T) {
	blocked := make(chan error, 1)
	r := newRig(t, func(s *Session) {
		s.Send(context.Background(), Binary(make([]byte, 600)))
		// The buffer (1000 bytes) has no room for another 600 until the
		// client acks the first.
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		blocked <- s.Send(ctx, Binary(make([]byte, 600)))
		s.Close(4001, "done here")
	}, &Options{MaxBufferedBytes: 1000})
	_, fr, _ := r.get(q(wire.ParamMode, wire.ModePollOpen), "")
	sid, key := fr[0].Welcome.SID, fr[0].Welcome.Key
	if err := <-blocked; err != context.DeadlineExceeded {
		t.Fatalf("Send on a full buffer: %v, want the context's deadline", err)
	}
	// Everything sent before Close is delivered, then the close frame.
	var all []wire.Frame
	for i := 0; i < 20; i++ {
		_, fr, _ := r.get(q(wire.ParamMode, wire.ModePoll, wire.ParamSID, sid, wire.ParamAck, "0"), key)
		all = fr
		if n := len(fr); n > 0 && fr[n-1].Kind == wire.KindClose {
			break
		}
	}
	n := len(all)
	if n == 0 || all[n-1].Kind != wire.KindClose || all[n-1].Close.Code != 4001 || len(dataOf(all)) != 1 {
		t.Fatalf("final answer: %+v", all)
	}
}
