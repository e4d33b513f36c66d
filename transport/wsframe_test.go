//go:build !js

package transport

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

type countingWriter struct {
	w      interface{ Write([]byte) (int, error) }
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) { c.writes++; return c.w.Write(p) }

// A batch of frames goes out in one write, the pending ack riding along,
// and gorilla reads every message back intact (framing and masking at
// every length encoding; a batch over wsBatchFlush is written in parts).
func TestSendBatchesInOneWrite(t *testing.T) {
	p := newPKI(t)
	got := make(chan []byte, 64)
	up := websocket.Upgrader{}
	ts := newTarget(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				close(got)
				return
			}
			got <- msg
		}
	}))
	d := mustDialer(t, ts.wsURL("/custom"), &Config{RootCAs: p.ca.Pool()})
	c, _, err := d.dialWebSocket(context.Background(), &wsOptions{ReadLimit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	l := &wsLink{conn: c, max: 1 << 20, timeout: time.Minute, done: make(chan struct{})}
	cw := &countingWriter{w: c.UnderlyingConn()}
	l.w = cw
	sent := make(chan uint64, 1)
	l.acks = link.NewAcker(time.Hour, func(recv uint64) error { sent <- recv; return nil })
	l.acks.Acked(7) // sent at once by the Acker: the next waits an hour
	<-sent
	l.acks.Acked(9)
	defer l.Close()

	sizes := []int{0, 1, 125, 126, 1000, 1024, 8000}
	var frames []wire.Frame
	for i, n := range sizes {
		frames = append(frames, wire.Frame{Kind: wire.KindBinary, Seq: uint64(i + 1), Data: bytes.Repeat([]byte{byte(i + 1)}, n)})
	}
	if err := l.Send(context.Background(), frames); err != nil {
		t.Fatal(err)
	}
	if cw.writes != 1 {
		t.Errorf("%d frames: %d writes, want 1", len(frames)+1, cw.writes)
	}
	check := func(f wire.Frame) {
		t.Helper()
		msg := <-got
		want, _ := wire.ParseWS(true, msg, 1<<20)
		if f.Kind == wire.KindAck {
			want, _ = wire.ParseWS(false, msg, 1<<20)
		}
		if want.Kind != f.Kind || want.Seq != f.Seq || !bytes.Equal(want.Data, f.Data) {
			t.Fatalf("server read %v seq %d (%d bytes), want %v seq %d (%d bytes)", want.Kind, want.Seq, len(want.Data), f.Kind, f.Seq, len(f.Data))
		}
	}
	if ack, err := wire.ParseWS(false, <-got, 0); err != nil || ack.Kind != wire.KindAck || ack.Seq != 9 {
		t.Fatalf("first message %v %d (%v), want the pending ack 9", ack.Kind, ack.Seq, err)
	}
	for _, f := range frames {
		check(f)
	}

	// Large payloads: 16- and 64-bit lengths, written in parts.
	cw.writes = 0
	big := []wire.Frame{
		{Kind: wire.KindBinary, Seq: 8, Data: bytes.Repeat([]byte{8}, 65535)},
		{Kind: wire.KindBinary, Seq: 9, Data: bytes.Repeat([]byte{9}, 65536)},
		{Kind: wire.KindBinary, Seq: 10, Data: bytes.Repeat([]byte{10}, 200000)},
		{Kind: wire.KindBinary, Seq: 11, Data: []byte{11}},
	}
	if err := l.Send(context.Background(), big); err != nil {
		t.Fatal(err)
	}
	if cw.writes != 4 {
		t.Errorf("three frames over %d bytes and a small one: %d writes, want 4", wsBatchFlush, cw.writes)
	}
	for _, f := range big {
		check(f)
	}
}
