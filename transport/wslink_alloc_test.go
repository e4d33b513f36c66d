//go:build !js

package transport

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/wire"
)

// wsStream starts a WebSocket server that writes the given messages
// (pre-encoded frames, written as raw bytes so the server costs no
// allocation per message) over and over until the client leaves, and
// returns a wsLink reading them.
func wsStream(t *testing.T, raw bool, payload []byte) *wsLink {
	t.Helper()
	p := newPKI(t)
	var blob []byte
	for i := 1; i <= 64; i++ {
		msg := payload
		if !raw {
			msg = append(wire.AppendDataHeader(nil, wire.KindBinary, uint64(i)), payload...)
		}
		blob = append(blob, 0x82, 126, byte(len(msg)>>8), byte(len(msg)))
		blob = append(blob, msg...)
	}
	up := websocket.Upgrader{}
	ts := newTarget(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			if _, err := c.UnderlyingConn().Write(blob); err != nil {
				return
			}
		}
	}))
	d := mustDialer(t, ts.wsURL("/custom"), &Config{RootCAs: p.ca.Pool()})
	c, _, err := d.dialWebSocket(context.Background(), &wsOptions{ReadLimit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	l := &wsLink{conn: c, raw: raw, max: 1 << 20, timeout: time.Minute, done: make(chan struct{})}
	t.Cleanup(func() { l.Close() })
	return l
}

// The receive path costs at most 2 allocations per message (gorilla's
// message reader and the buffer the payload is read into, handed over
// without a copy), in session and raw mode: no context registration per
// Recv, no io.ReadAll growth.
func TestRecvAllocations(t *testing.T) {
	for _, raw := range []bool{false, true} {
		t.Run("raw="+strconv.FormatBool(raw), func(t *testing.T) {
			payload := bytes.Repeat([]byte{7}, 1024)
			l := wsStream(t, raw, payload)
			ctx := context.Background()
			recv := func() {
				f, err := l.Recv(ctx)
				if err != nil || !bytes.Equal(f.Data, payload) {
					t.Fatalf("Recv: %v, %d bytes", err, len(f.Data))
				}
			}
			for range 100 {
				recv() // warm up: buffer sizes, TLS state
			}
			// TLS records and the server's writes may cost the odd
			// allocation; 2.5 still catches a third one per message.
			n := testing.AllocsPerRun(500, recv)
			t.Logf("%v allocations per received message", n)
			if n > 2.5 {
				t.Errorf("%v allocations per received message, want <= 2", n)
			}
		})
	}
}

// Data handed over by Recv is the caller's: the next Recv does not write
// into it.
func TestRecvHandsDataOver(t *testing.T) {
	l := wsStream(t, false, bytes.Repeat([]byte{7}, 1024))
	ctx := context.Background()
	var kept [][]byte
	for range 20 {
		f, err := l.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		clear(f.Data[:1]) // the caller may modify it
		kept = append(kept, f.Data)
	}
	for i, d := range kept {
		if d[0] != 0 || !bytes.Equal(d[1:], bytes.Repeat([]byte{7}, 1023)) {
			t.Fatalf("message %d changed after later Recvs", i)
		}
	}
}
