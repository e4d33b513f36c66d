//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/internal/procs"
)

// startNode starts node/echo-server.mjs (Node's ws over TLS, with
// permessage-deflate) on port and waits until it listens.
func startNode(t *testing.T, port int) *procs.Proc {
	t.Helper()
	p, err := procs.Start("node", "node", "node", "echo-server.mjs", fmt.Sprint(port), suite.nodeCert, suite.nodeKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(5 * time.Second) })
	if err := p.WaitLine("listening", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitPort(fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	return p
}

// nodeStats is the Node server's answer to "__stats__".
type nodeStats struct {
	Offered      string `json:"offered"`
	Extensions   string `json:"extensions"`
	WireBytes    int    `json:"wireBytes"`
	PayloadBytes int    `json:"payloadBytes"`
}

// Scenario 10: Node's ws as a foreign WebSocket server: raw mode echoes
// text and binary with permessage-deflate, and reconnects after the Node
// server restarts.
func TestNodeWSRawMode(t *testing.T) {
	row := scenario(t, 10, "Node ws server, raw mode, permessage-deflate")
	port, err := procs.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	node := startNode(t, port)
	ev := newEvents()
	o := opts(ev)
	o.Raw = true
	o.EnableCompression = true
	url := fmt.Sprintf("wss://127.0.0.1:%d/echo", port)
	c, el := dial(t, url, o)
	row.connected(c.Transport(), el)
	if c.Transport() != "websocket" || c.SessionID() != "" {
		t.Fatalf("raw mode on %q with session %q", c.Transport(), c.SessionID())
	}

	exchange := func(round string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		big := bytes.Repeat([]byte("tether keeps apps connected through hostile networks. "), 5000) // 270 KB, compressible
		sent := []client.Message{
			client.Text("hello from " + round),
			client.Binary([]byte{0, 1, 2, 253, 254, 255}),
			client.Text(string(big)),
			client.Binary(big),
		}
		for i := 0; i < 50; i++ {
			sent = append(sent, client.Text(fmt.Sprintf("%s %03d", round, i)))
		}
		go func() {
			for _, m := range sent {
				if c.Send(ctx, m) != nil {
					return
				}
			}
		}()
		payload := 0
		for i, want := range sent {
			m, err := c.Receive(ctx)
			if err != nil {
				t.Fatalf("%s: receive %d: %v", round, i, err)
			}
			if m.Binary != want.Binary || !bytes.Equal(m.Data, want.Data) {
				t.Fatalf("%s: echo %d: binary=%v %d bytes, want binary=%v %d bytes", round, i, m.Binary, len(m.Data), want.Binary, len(want.Data))
			}
			payload += len(want.Data)
		}
		if err := c.Send(ctx, client.Text("__stats__")); err != nil {
			t.Fatal(err)
		}
		m, err := c.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var st nodeStats
		if err := json.Unmarshal(m.Data, &st); err != nil {
			t.Fatalf("stats %q: %v", m.Data, err)
		}
		t.Logf("%s: node saw extensions %q (offered %q), %d payload bytes in %d wire bytes", round, st.Extensions, st.Offered, st.PayloadBytes, st.WireBytes)
		if !strings.Contains(st.Extensions, "permessage-deflate") {
			t.Fatalf("%s: permessage-deflate not negotiated: %+v", round, st)
		}
		if st.PayloadBytes != payload {
			t.Fatalf("%s: node got %d payload bytes, want %d", round, st.PayloadBytes, payload)
		}
		if st.WireBytes*4 > st.PayloadBytes {
			t.Fatalf("%s: %d wire bytes for %d payload bytes: the client did not compress", round, st.WireBytes, st.PayloadBytes)
		}
	}
	exchange("first")

	// Restart the Node server on the same port: the client reconnects.
	n := ev.len()
	node.Stop(5 * time.Second)
	ev.waitFor(t, n, "disconnected", isDisconnected)
	start := time.Now()
	startNode(t, port)
	got := ev.waitFor(t, n, "reconnected", connectedOn("websocket")).(client.ConnectedEvent)
	t.Logf("reconnected %v after the restart: %+v", time.Since(start).Round(time.Millisecond), got)
	exchange("after restart")
	row.ended(c.Transport())
}
