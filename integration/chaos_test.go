//go:build integration

package integration

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/internal/hostile"
	"github.com/tether-sdk/tether/server"
)

// Scenario 11: a fault-injecting TCP relay cuts every connection after
// 50-500 ms while 10,000 messages (text and binary in turn) flow each way, on each transport and
// across forced transport switches: 0 lost, 0 duplicated, 0 reordered.
func TestChaos(t *testing.T) {
	for _, tc := range []struct {
		name       string
		transports []string
		switching  bool
		reset      bool // cut with a TCP RST instead of a FIN
	}{
		{"websocket", []string{"websocket"}, false, false},
		{"sse", []string{"sse"}, false, false},
		{"longpoll", []string{"longpoll"}, false, false},
		// The network refuses WebSocket, then WebSocket and SSE, then
		// nothing, in turn every 400 ms: the client moves between all three
		// (fallback on reconnect, probe back to WebSocket).
		{"switching", nil, true, false},
		{"switching-rst", nil, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) { chaos(t, tc.name, tc.transports, tc.switching, tc.reset) })
	}
}

func chaos(t *testing.T, name string, transports []string, switching, reset bool) {
	const (
		n     = 10000
		burst = 50
		tick  = 25 * time.Millisecond // 10,000 messages take 5 s at least: many cuts
	)
	what := name
	if reset {
		what += ", cuts by TCP RST"
	}
	row := scenario(t, 11, "chaos: cuts every 50-500 ms, 10,000 messages each way ("+what+")")
	up := newSeqCheck("c", n)   // client to server, as the server application gets them
	down := newSeqCheck("s", n) // server to client, as Receive returns them
	var sessions atomic.Int32
	serve := func(s *server.Session) {
		sessions.Add(1)
		go pacedSend(s.Context(), n, burst, tick, "s", func(ctx context.Context, m string) error {
			bin, data := mixed(m)
			return s.Send(ctx, server.Message{Binary: bin, Data: data})
		})
		for {
			m, err := s.Receive(s.Context())
			if err != nil {
				return
			}
			up.addMixed(m.Binary, m.Data)
		}
	}
	ref := &refuser{}
	var wrap func(http.Handler) http.Handler
	if switching {
		wrap = ref.wrap
	}
	b := newBackend(t, true, server.NewHandler(serve, &server.Options{PollHold: time.Second}), wrap)
	seed := uint64(time.Now().UnixNano())
	fp, err := hostile.NewFaultProxy(b.addr, hostile.FaultOptions{Min: 50 * time.Millisecond, Max: 500 * time.Millisecond, Seed: seed, Reset: reset})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fp.Close() })
	t.Logf("fault seed %d", seed)

	ev := newEvents()
	o := opts(ev)
	o.Transports = transports
	o.InitialBackoff, o.MaxBackoff = 5*time.Millisecond, 100*time.Millisecond
	if switching {
		o.ProbeInterval = 100 * time.Millisecond
	}
	c, el := dial(t, "wss://"+fp.Addr()+"/live", o)
	row.connected(c.Transport(), el)

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	if switching {
		go func() {
			tk := time.NewTicker(400 * time.Millisecond)
			defer tk.Stop()
			for phase := 1; ; phase++ {
				select {
				case <-tk.C:
				case <-ctx.Done():
					ref.ws.Store(false)
					ref.sse.Store(false)
					return
				}
				ref.ws.Store(phase%3 != 0)
				ref.sse.Store(phase%3 == 2)
			}
		}()
	}
	sendErr := make(chan error, 1)
	go func() {
		sendErr <- pacedSend(ctx, n, burst, tick, "c", func(ctx context.Context, m string) error {
			bin, data := mixed(m)
			return c.Send(ctx, client.Message{Binary: bin, Data: data})
		})
	}()
	recvErr := make(chan error, 1)
	go func() {
		for {
			m, err := c.Receive(ctx)
			if err != nil {
				recvErr <- err
				return
			}
			if down.addMixed(m.Binary, m.Data) {
				recvErr <- nil
				return
			}
		}
	}()
	start := time.Now()
	for _, w := range []struct {
		what string
		done <-chan struct{}
	}{{"the server's end marker at the client", down.done}, {"the client's end marker at the server", up.done}} {
		select {
		case <-w.done:
		case <-ctx.Done():
			t.Fatalf("no %s after %v: %s; %s; %d cuts; events %s", w.what, time.Since(start), up, down, fp.Cuts(), ev)
		}
	}
	flow := time.Since(start)
	cuts := fp.Cuts()
	fp.SetLifetimes(0, 0)
	if err := <-sendErr; err != nil {
		t.Fatalf("send: %v", err)
	}
	if err := <-recvErr; err != nil {
		t.Fatalf("receive: %v", err)
	}
	cancel()

	up.assertClean(t)
	down.assertClean(t)
	if s := sessions.Load(); s != 1 {
		t.Errorf("%d sessions, want 1", s)
	}
	if n := ev.count(isSessionLost); n > 0 {
		t.Errorf("%d sessions lost; events %s", n, ev)
	}
	if cuts < 8 {
		t.Errorf("only %d connections cut while the messages flowed: the test proved little", cuts)
	}
	used := map[string]int{}
	changes := 0
	for _, e := range ev.snapshot() {
		switch e := e.(type) {
		case client.ConnectedEvent:
			used[e.Transport]++
		case client.TransportChangedEvent:
			used[e.To]++
			changes++
		}
	}
	if switching {
		for _, tr := range []string{"websocket", "sse", "longpoll"} {
			if used[tr] == 0 {
				t.Errorf("never on %s: %v", tr, used)
			}
		}
		if changes == 0 {
			t.Errorf("no probe moved the session back to WebSocket: %v", used)
		}
	} else if len(used) != 1 || used[transports[0]] == 0 {
		t.Errorf("transports used %v, want only %s", used, transports[0])
	}
	row.ended(c.Transport())
	t.Logf("%s: %v of traffic, %d connections cut, connects per transport %v, %d probe switches; %s; %s",
		name, flow.Round(time.Millisecond), cuts, used, changes, up, down)
}
