//go:build !js

package client

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/hostile"
	"github.com/tether-sdk/tether/server"
)

// chatty echoes every message and, independently, streams its own numbered
// messages, so both directions carry traffic while connections are cut.
func chatty(n int) func(*server.Session) {
	return func(s *server.Session) {
		go func() {
			for i := 0; i < n; i++ {
				if s.Send(s.Context(), server.Text(fmt.Sprintf("s%05d", i))) != nil {
					return
				}
			}
		}()
		for {
			m, err := s.Receive(s.Context())
			if err != nil {
				return
			}
			if s.Send(s.Context(), server.Text("e"+string(m.Data))) != nil {
				return
			}
		}
	}
}

// TestChaosNoLossEachTransport cuts every connection after 50-300 ms while
// messages flow both ways: each message arrives exactly once and in order.
func TestChaosNoLossEachTransport(t *testing.T) {
	const n = 1500
	for _, tr := range []string{"websocket", "sse", "longpoll"} {
		t.Run(tr, func(t *testing.T) {
			r := newRig(t, chatty(n), &server.Options{PollHold: time.Second}, nil)
			fp, err := hostile.NewFaultProxy(r.addr, hostile.FaultOptions{Min: 50 * time.Millisecond, Max: 300 * time.Millisecond, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { fp.Close() })
			ev := newEvents()
			o := r.opts(ev)
			o.Transports = []string{tr}
			o.InitialBackoff, o.MaxBackoff = 5*time.Millisecond, 50*time.Millisecond
			c := mustDial(t, "wss://"+fp.Addr()+"/live", o)

			ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
			defer cancel()
			// The client keeps sending (paced) until at least n messages are
			// out and several connections were cut under it.
			var sent atomic.Int64
			sent.Store(-1)
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				i := 0
				for ; i < 50000 && (i < n || fp.Cuts() < 5); i++ {
					if c.Send(ctx, Text(fmt.Sprintf("c%05d", i))) != nil {
						return
					}
					if i%20 == 0 {
						time.Sleep(time.Millisecond) // spread the traffic over many cuts
					}
				}
				sent.Store(int64(i))
				c.Send(ctx, Text("c-end")) // its echo ends the receiving loop
			}()
			var nextS, nextE int
			ended := false
			for nextS < n || !ended {
				m, err := c.Receive(ctx)
				if err != nil {
					c.mu.Lock()
					cur := c.cur
					t.Logf("client: out.Len %d last %d acked %d, recv %d, cursor %d, state %v, sent %d", c.out.Len(), c.out.Last(), c.out.Acked(), c.in.Recv(), cur.cursor, c.state, sent.Load())
					c.mu.Unlock()
					t.Fatalf("receive after %d server and %d echoed messages: %v", nextS, nextE, err)
				}
				switch s := string(m.Data); {
				case s == fmt.Sprintf("s%05d", nextS):
					nextS++
				case s == fmt.Sprintf("ec%05d", nextE):
					nextE++
				case s == "ec-end" && int64(nextE) == sent.Load():
					ended = true
				default:
					t.Fatalf("out of order or duplicate: %q (expected s%05d or ec%05d)", s, nextS, nextE)
				}
			}
			wg.Wait()
			if fp.Cuts() < 5 {
				t.Fatal("no connection was cut: the test proved nothing")
			}
			t.Logf("%s: %d messages from the server, %d echoed, %d connections cut; 0 lost, 0 duplicated, 0 reordered", tr, nextS, nextE, fp.Cuts())
		})
	}
}
