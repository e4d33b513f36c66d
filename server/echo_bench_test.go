package server

import (
	"testing"

	"github.com/tether-sdk/tether/internal/wire"
)

// BenchmarkEchoWebSocket: messages of 1 KiB echoed over one raw WebSocket,
// in windows of 64 (then an ack), with the in-memory store (the
// default: compare against the commit before Options.Shared) and with a
// MemoryShared store (every message goes through the shared-store path).
func BenchmarkEchoWebSocket(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchEcho(b, nil) })
	b.Run("shared-in-process", func(b *testing.B) { benchEcho(b, sharedOptions()) })
}

func benchEcho(b *testing.B, o *Options) {
	r := newRig(b, echo, o)
	c, _, err := r.dialWS(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	wsWrite(b, c, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: wire.Version}})
	wsRead(b, c)
	payload := make([]byte, 1024)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	b.SetBytes(1024)
	b.ResetTimer()
	const window = 64
	for sent := 0; sent < b.N; {
		k := min(window, b.N-sent)
		for i := 1; i <= k; i++ {
			wsWrite(b, c, wire.Frame{Kind: wire.KindText, Seq: uint64(sent + i), Data: payload})
		}
		for got := 0; got < k; {
			if f := wsRead(b, c); f.Kind == wire.KindText {
				got++
				if f.Seq != uint64(sent+got) {
					b.Fatalf("seq %d, want %d", f.Seq, sent+got)
				}
			}
		}
		sent += k
		wsWrite(b, c, wire.Frame{Kind: wire.KindAck, Seq: uint64(sent)})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func sharedOptions() *Options { return &Options{Shared: NewMemoryShared()} }
