package server

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/tether-sdk/tether/internal/wire"
)

// Everything queued when the writer wakes goes out in one write: 50
// messages waiting for a resuming client reach it in one write(2), after
// the upgrade answer and the welcome.
func TestWebSocketBatchIsOneWrite(t *testing.T) {
	const n = 50
	sent := make(chan struct{})
	r := newCountingRig(t, func(s *Session) {
		for i := range n {
			if s.Send(s.Context(), Text(fmt.Sprintf("message %d", i))) != nil {
				return
			}
		}
		close(sent)
		<-s.Context().Done()
	}, nil, false)
	c1, w := r.attachWS(t, &wire.Hello{V: wire.Version})
	defer c1.Close()
	<-sent
	c2, _ := r.attachWS(t, &wire.Hello{V: wire.Version, SID: w.SID, Key: w.Key})
	defer c2.Close()
	conn := r.ln.last()
	for i := 1; i <= n; i++ {
		f := wsReadData(t, c2)
		want(t, f, wire.KindText, uint64(i), fmt.Sprintf("message %d", i-1))
	}
	// The upgrade answer, the welcome, and the batch.
	if got := conn.writes.Load(); got != 3 {
		t.Fatalf("the resumed connection took %d writes for the upgrade, the welcome and %d queued messages, want 3", got, n)
	}
}

// An echo costs one write per message on the server: the ack of the
// client's message rides in the write of the answer (PROTOCOL.md 4.4 lets
// it wait for it). The bound leaves room for a slow machine on which the
// ack delay runs out before the application answers; without the
// piggyback it is exactly 2 per message.
func TestWebSocketAckRidesWithTheAnswer(t *testing.T) {
	const n = 40
	r := newCountingRig(t, echo, nil, false)
	c := r.helloWS(t)
	defer c.Close()
	conn := r.ln.last()
	before := conn.writes.Load() // the upgrade answer and the welcome
	acked := uint64(0)
	for i := uint64(1); i <= n; i++ {
		wsWrite(t, c, wire.Frame{Kind: wire.KindText, Seq: i, Data: []byte("ping")})
		for {
			f := wsRead(t, c)
			if f.Kind == wire.KindAck {
				acked = max(acked, f.Seq)
				continue
			}
			want(t, f, wire.KindText, i, "ping")
			break
		}
	}
	if got := conn.writes.Load() - before; got > n*3/2 {
		t.Fatalf("%d writes for %d echoes, want at most %d (one per echo, the ack riding along)", got, n, n*3/2)
	}
	if acked == 0 {
		t.Fatal("no ack came with the answers")
	}
}

// With no data to ride on, the ack still comes, alone (after the delay).
func TestWebSocketAckAlone(t *testing.T) {
	r := newCountingRig(t, func(s *Session) {
		for {
			if _, err := s.Receive(s.Context()); err != nil {
				return
			}
		}
	}, nil, false)
	c := r.helloWS(t)
	defer c.Close()
	for i := uint64(1); i <= 3; i++ {
		wsWrite(t, c, wire.Frame{Kind: wire.KindText, Seq: i, Data: []byte("x")})
	}
	for {
		f := wsRead(t, c) // fails after 10 s
		if f.Kind == wire.KindAck && f.Seq == 3 {
			return
		}
	}
}

// The receive path: a message read from the WebSocket and taken with
// Receive costs gorilla's reader (1 allocation), the copy the application
// owns (1), and what waiting costs (the application's Receive parks on a
// channel: 1): 3. The bound is 4 because under the race detector sync.Pool
// drops a share of what it is given. Before the read buffers were reused and
// the inbox kept its array it was 8.
func TestWebSocketReceiveAllocs(t *testing.T) {
	got := make(chan struct{}, 1)
	r := newCountingRig(t, func(s *Session) {
		for {
			if _, err := s.Receive(s.Context()); err != nil {
				return
			}
			got <- struct{}{}
		}
	}, nil, false)
	c := r.helloWS(t)
	defer c.Close()
	go func() { // the server's acks
		for {
			if _, _, err := c.NextReader(); err != nil {
				return
			}
		}
	}()
	w := &peerWriter{conn: c.NetConn(), payload: benchPayload()}
	next := uint64(1)
	one := func() {
		if err := w.frames(next, 1); err != nil {
			t.Fatal(err)
		}
		next++
		<-got
	}
	for range 100 {
		one() // warm up: buffers and pools
	}
	a := testing.AllocsPerRun(500, one)
	if a > 4 {
		t.Fatalf("%.1f allocations per received message, want at most 4", a)
	}
}

// A message larger than a batch's buffer goes through batchConn whole and
// in order with the small ones around it.
func TestWebSocketBatchLargeMessage(t *testing.T) {
	big := make([]byte, 3*batchFlushBytes)
	for i := range big {
		big[i] = byte(i % 251)
	}
	r := newCountingRig(t, func(s *Session) {
		for _, m := range []Message{Text("before"), Binary(big), Text("after")} {
			if s.Send(s.Context(), m) != nil {
				return
			}
		}
		<-s.Context().Done()
	}, nil, false)
	c := r.helloWS(t)
	defer c.Close()
	want(t, wsReadData(t, c), wire.KindText, 1, "before")
	f := wsReadData(t, c)
	if f.Kind != wire.KindBinary || f.Seq != 2 || !bytes.Equal(f.Data, big) {
		t.Fatalf("got %s seq %d with %d bytes, want the binary message 2 of %d bytes", f.Kind, f.Seq, len(f.Data), len(big))
	}
	want(t, wsReadData(t, c), wire.KindText, 3, "after")
}
