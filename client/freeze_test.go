//go:build !js

package client

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/hostile"
	"github.com/tether-sdk/tether/server"
)

// TestFreezingRelayEachTransport: a relay freezes every open connection
// (no FIN, no RST) while new ones work, with a message every 100 ms in
// flight: on each transport the client reports the silent path, moves the
// session to a fresh connection, and every echo arrives once, in order.
// (Without the probe the old connection would hold the session for the
// heartbeat window, 45 s, past this test's bound.)
func TestFreezingRelayEachTransport(t *testing.T) {
	for _, tr := range []string{"websocket", "sse", "longpoll"} {
		t.Run(tr, func(t *testing.T) {
			r := newRig(t, echo, &server.Options{PollHold: time.Second}, nil)
			fp, err := hostile.NewFaultProxy(r.addr, hostile.FaultOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { fp.Close() })
			ev := newEvents()
			o := r.opts(ev)
			o.Transports = []string{tr}
			c := mustDial(t, "wss://"+fp.Addr()+"/live", o)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			const n, freezeAt = 60, 10
			got := make(chan string, n)
			go func() {
				for {
					m, err := c.Receive(ctx)
					if err != nil {
						close(got)
						return
					}
					got <- string(m.Data)
				}
			}()
			frozen := 0
			for i := 0; i < n; i++ {
				if i == freezeAt {
					// Everything sent so far echoed: then freeze.
					for j := 0; j < freezeAt; j++ {
						if m := <-got; m != fmt.Sprintf("m%02d", j) {
							t.Fatalf("echo %d is %q", j, m)
						}
					}
					frozen = fp.FreezeAll()
				}
				if err := c.Send(ctx, Text(fmt.Sprintf("m%02d", i))); err != nil {
					t.Fatal(err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if frozen == 0 {
				t.Fatal("no connection was frozen: the test proved nothing")
			}
			for j := freezeAt; j < n; j++ {
				m, ok := <-got
				if !ok {
					t.Fatalf("echo %d never came: %v", j, ctx.Err())
				}
				if m != fmt.Sprintf("m%02d", j) {
					t.Fatalf("echo %d is %q: lost, duplicated or reordered", j, m)
				}
			}
			ps := ev.waitFor(t, 0, "path silent", isEvent[PathSilentEvent]).(PathSilentEvent)
			if ps.Transport != tr || !ps.Probing {
				t.Fatalf("%+v", ps)
			}
			ce := ev.waitFor(t, 1, "moved", func(e Event) bool {
				ce, ok := e.(ConnectedEvent)
				return ok && ce.Resumed
			}).(ConnectedEvent)
			if ce.Transport != tr {
				t.Fatalf("moved to %s", ce.Transport)
			}
			t.Logf("%s: %d connections frozen; %+v; %s", tr, frozen, ps, ce.Reason)
			c.Close(context.Background())
			cancel()
		})
	}
}
