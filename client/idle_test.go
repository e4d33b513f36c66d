//go:build !js

package client

import (
	"context"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// clientLoops lists the Client's long-lived functions (and its event
// dispatcher's) running on some
// goroutine of the caller's synctest bubble (each goroutine counted once,
// by its innermost one), sorted.
func clientLoops() []string {
	self := make([]byte, 256)
	self = self[:runtime.Stack(self, false)]
	bubble := regexp.MustCompile(`synctest bubble \d+`).Find(self)
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	re := regexp.MustCompile(`^github\.com/tether-sdk/tether/client\.\(\*(?:Client|dispatcher)\)\.(readLoop|writeLoop|checkPath|supervise|afterDead|probeLoop|run)\(`)
	var got []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		lines := strings.Split(g, "\n")
		if bubble == nil || !strings.Contains(lines[0], string(bubble)+"]") {
			continue
		}
		for _, line := range lines[1:] {
			if strings.HasPrefix(line, "created by") {
				break
			}
			if m := re.FindStringSubmatch(line); m != nil {
				got = append(got, m[1])
				break
			}
		}
	}
	slices.Sort(got)
	return got
}

// An idle session-mode connection holds one goroutine, its reader: the
// writer parks when it has nothing to send and is started again by a
// Send, a ping to answer or the close; the path watcher and the
// heartbeat are timers; the supervisor starts when the link dies; the
// events' goroutine (OnEvent is set) runs while events wait.
func TestIdleConnectionHoldsOnlyItsReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var up *fakeLink
		d := &fakeDialer{dial: func(_ context.Context, _ int, tr string, _ link.Attach) (link.Link, error) {
			up = newFakeLink(tr, "s1", false)
			return up, nil
		}}
		o := fakeOpts(d, newEvents())
		o.Heartbeat = 10 * time.Second
		c, err := Dial(t.Context(), fakeURL, o)
		if err != nil {
			t.Fatal(err)
		}
		idle := func(when string) {
			t.Helper()
			synctest.Wait()
			if got := clientLoops(); !slices.Contains(got, "readLoop") || len(got) > 2 {
				t.Fatalf("%s: goroutines in %v, want the reader and at most a lingering writer", when, got)
			}
			time.Sleep(writerLinger) // the writer gives up its goroutine
			synctest.Wait()
			if got := clientLoops(); !slices.Equal(got, []string{"readLoop"}) {
				t.Fatalf("%s: goroutines in %v, want only the reader", when, got)
			}
		}
		sent := func(k wire.Kind) int {
			up.mu.Lock()
			defer up.mu.Unlock()
			n := 0
			for _, f := range up.sent {
				if f.Kind == k {
					n++
				}
			}
			return n
		}
		idle("connected")
		for i := range 3 {
			if err := c.Send(t.Context(), Text("hello")); err != nil {
				t.Fatal(err)
			}
			idle("after a send")
			if got := sent(wire.KindText); got != i+1 {
				t.Fatalf("%d data frames sent, want %d", got, i+1)
			}
			up.push(wire.Frame{Kind: wire.KindAck, Seq: uint64(i + 1)})
		}
		up.push(wire.Frame{Kind: wire.KindPing, Seq: 0})
		idle("after a ping")
		if got := sent(wire.KindPong); got != 1 {
			t.Fatalf("%d pongs sent, want 1", got)
		}
		time.Sleep(11 * time.Second) // the heartbeat's ping
		idle("after the heartbeat")
		if got := sent(wire.KindPing); got != 1 {
			t.Fatalf("%d pings sent after 11 s idle with a 10 s heartbeat, want 1", got)
		}
		up.push(wire.Frame{Kind: wire.KindPong, Seq: 3})
		if err := c.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := sent(wire.KindClose); got != 1 {
			t.Fatalf("%d close frames sent, want 1", got)
		}
		if got := clientLoops(); len(got) != 0 {
			t.Fatalf("after Close: %v still run", got)
		}
	})
}

// writerID is the id of the goroutine running writeLoop in the caller's
// synctest bubble, or "" when none runs.
func writerID() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "client.(*Client).writeLoop(") && strings.Contains(g, "synctest bubble") {
			return strings.Fields(g)[1]
		}
	}
	return ""
}

// A writer started again soon after it returned (a conversation, ping-pong)
// waits for the next message instead of returning, so that a busy
// connection does not start a goroutine per message; one started after a
// pause returns at once, and a lingering one returns after writerLinger.
func TestBusyWriterLingers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &fakeDialer{dial: func(_ context.Context, _ int, tr string, _ link.Attach) (link.Link, error) {
			return newFakeLink(tr, "s1", false), nil
		}}
		o := fakeOpts(d, newEvents())
		o.Heartbeat = time.Minute
		c, err := Dial(t.Context(), fakeURL, o)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		send := func() {
			t.Helper()
			if err := c.Send(t.Context(), Text("hello")); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		time.Sleep(writerBusyGap)
		send()
		if id := writerID(); id != "" {
			t.Fatalf("after a send following a pause: writer %s still runs, want it returned", id)
		}
		time.Sleep(writerBusyGap / 2)
		send()
		first := writerID()
		if first == "" {
			t.Fatal("a writer started soon after it returned did not linger")
		}
		for range 3 {
			time.Sleep(writerBusyGap / 2)
			send()
			if id := writerID(); id != first {
				t.Fatalf("writer %q after a send, want the lingering %s woken", id, first)
			}
		}
		time.Sleep(writerLinger)
		synctest.Wait()
		if id := writerID(); id != "" {
			t.Fatalf("writer %s still runs after lingering %v with nothing to send", id, writerLinger)
		}
	})
}
