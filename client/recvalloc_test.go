package client

import (
	"context"
	"testing"

	"github.com/tether-sdk/tether/internal/wire"
)

// Past the link, the receive path allocates nothing per message: deliver
// queues the payload the link handed over (no copy) and Receive takes it,
// with no wake channel made per state change (seq.Signal). With the
// WebSocket link's 2 (transport.TestRecvAllocations), a message costs 2.
func TestDeliverReceiveAllocations(t *testing.T) {
	c := &Client{o: Options{MaxQueuedBytes: 1 << 20}}
	cn := newConn(nil)
	ctx := context.Background()
	data := make([]byte, 1024)
	var seqNo uint64
	step := func() {
		seqNo++
		f := wire.Frame{Kind: wire.KindBinary, Seq: seqNo, Data: data}
		if err := c.deliver(cn, &f); err != nil {
			t.Fatal(err)
		}
		m, err := c.Receive(ctx)
		if err != nil || &m.Data[0] != &data[0] {
			t.Fatalf("Receive: %v (the payload must be handed over, not copied)", err)
		}
	}
	for range 100 {
		step() // the inbox's backing array settles
	}
	if n := testing.AllocsPerRun(1000, step); n > 0.1 {
		t.Errorf("deliver + Receive: %v allocations per message, want 0", n)
	}
}
