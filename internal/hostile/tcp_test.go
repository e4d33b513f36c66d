package hostile_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/hostile"
)

// TestBlackHole: connections are accepted, swallow writes, never get a byte
// back, and are released by Close.
func TestBlackHole(t *testing.T) {
	checkLeaks(t)
	b, err := hostile.NewBlackHole()
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, b)
	var conns []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	waitFor(t, func() bool { return b.Accepted() == 3 && b.Open() == 3 })

	// An HTTP client times out.
	c := client(t, &http.Transport{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", b.URL(), nil)
	if _, err := c.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("GET to black hole: %v", err)
	}

	b.Close()
	for _, c := range conns {
		expectClosed(t, c)
	}
	if b.Open() != 0 {
		t.Fatalf("Open = %d after Close", b.Open())
	}
	if _, err := net.Dial("tcp", b.Addr()); err == nil {
		t.Fatal("dial after Close succeeded")
	}
}

func newFault(t *testing.T, target string, opts hostile.FaultOptions) *hostile.FaultProxy {
	t.Helper()
	f, err := hostile.NewFaultProxy(target, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, f)
	return f
}

func dialEcho(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestFaultProxyRelays: without cuts, a megabyte relays intact both ways.
func TestFaultProxyRelays(t *testing.T) {
	checkLeaks(t)
	f := newFault(t, echoServer(t), hostile.FaultOptions{})
	c := dialEcho(t, f.Addr())
	msg := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	done := make(chan error, 1)
	go func() { _, err := c.Write(msg); done <- err }()
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("relay corrupted: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if f.Relayed() != 1 || f.Cuts() != 0 || f.Active() != 1 {
		t.Fatalf("relayed=%d cuts=%d active=%d", f.Relayed(), f.Cuts(), f.Active())
	}
	c.Close()
	waitFor(t, func() bool { return f.Active() == 0 })
	if f.Cuts() != 0 {
		t.Fatal("a client close counted as a cut")
	}
}

// TestFaultProxyLifetimeCut: a connection dies on its own within [Min, Max].
func TestFaultProxyLifetimeCut(t *testing.T) {
	checkLeaks(t)
	for _, reset := range []bool{false, true} {
		t.Run(fmt.Sprint("reset=", reset), func(t *testing.T) {
			f := newFault(t, echoServer(t), hostile.FaultOptions{Min: 20 * time.Millisecond, Max: 40 * time.Millisecond, Seed: 1, Reset: reset})
			c := dialEcho(t, f.Addr())
			start := time.Now()
			if err := echoRoundTrip(c, []byte("ping")); err != nil {
				t.Fatal(err)
			}
			expectClosed(t, c)
			if el := time.Since(start); el < 15*time.Millisecond {
				t.Fatalf("cut after %v, before Min", el)
			}
			if f.Cuts() != 1 || f.Active() != 0 {
				t.Fatalf("cuts=%d active=%d", f.Cuts(), f.Active())
			}
		})
	}
}

// TestFaultProxyCutAllPause: CutAll severs every live connection; Pause
// refuses new ones until Resume.
func TestFaultProxyCutAllPause(t *testing.T) {
	checkLeaks(t)
	f := newFault(t, echoServer(t), hostile.FaultOptions{})
	var conns []net.Conn
	for i := range 3 {
		c := dialEcho(t, f.Addr())
		if err := echoRoundTrip(c, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	if n := f.CutAll(); n != 3 {
		t.Fatalf("CutAll = %d", n)
	}
	for _, c := range conns {
		expectClosed(t, c)
	}
	if f.Cuts() != 3 || f.Active() != 0 {
		t.Fatalf("cuts=%d active=%d", f.Cuts(), f.Active())
	}

	f.Pause()
	c := dialEcho(t, f.Addr())
	c.Write([]byte("x"))
	expectClosed(t, c)
	if f.Refused() != 1 {
		t.Fatalf("Refused = %d", f.Refused())
	}
	f.Resume()
	if err := echoRoundTrip(dialEcho(t, f.Addr()), []byte("back")); err != nil {
		t.Fatal(err)
	}
	if f.Accepted() != 5 || f.Relayed() != 4 {
		t.Fatalf("accepted=%d relayed=%d", f.Accepted(), f.Relayed())
	}
}

// TestFaultProxySeeded: lifetimes come from the seed, within [Min, Max].
func TestFaultProxySeeded(t *testing.T) {
	checkLeaks(t)
	opts := hostile.FaultOptions{Min: 50 * time.Millisecond, Max: 500 * time.Millisecond, Seed: 42}
	a := hostile.DrawLifetimes(newFault(t, "127.0.0.1:1", opts), 100)
	b := hostile.DrawLifetimes(newFault(t, "127.0.0.1:1", opts), 100)
	opts.Seed = 43
	c := hostile.DrawLifetimes(newFault(t, "127.0.0.1:1", opts), 100)
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different lifetimes")
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds, same lifetimes")
	}
	for _, d := range a {
		if d < opts.Min || d > opts.Max {
			t.Fatalf("lifetime %v outside [%v, %v]", d, opts.Min, opts.Max)
		}
	}
	if slices.Min(a) == slices.Max(a) {
		t.Fatal("lifetimes do not vary")
	}
}

// TestFaultProxyDialError: an unreachable target drops the client.
func TestFaultProxyDialError(t *testing.T) {
	checkLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	f := newFault(t, dead, hostile.FaultOptions{})
	expectClosed(t, dialEcho(t, f.Addr()))
	if f.DialErrors() != 1 {
		t.Fatalf("DialErrors = %d", f.DialErrors())
	}
}

// TestFaultProxyChaos: a client that reconnects and resends after each cut
// gets 2,000 messages echoed intact while connections die every few ms.
func TestFaultProxyChaos(t *testing.T) {
	checkLeaks(t)
	f := newFault(t, echoServer(t), hostile.FaultOptions{Min: 2 * time.Millisecond, Max: 20 * time.Millisecond, Seed: 7})
	var c net.Conn
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	retries := 0
	for i := 0; i < 2000; {
		if c == nil {
			var err error
			if c, err = net.Dial("tcp", f.Addr()); err != nil {
				t.Fatal(err)
			}
		}
		msg := fmt.Appendf(nil, "message %06d %s", i, bytes.Repeat([]byte{'.'}, 200))
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if err := echoRoundTrip(c, msg); err != nil {
			c.Close()
			c = nil
			if retries++; retries > 10000 {
				t.Fatal("too many retries")
			}
			continue
		}
		i++
	}
	f.SetLifetimes(0, 0)
	t.Logf("retries=%d cuts=%d relayed=%d", retries, f.Cuts(), f.Relayed())
	if f.Cuts() == 0 {
		t.Fatal("no connection was cut")
	}
}

// TestFaultProxyFreezeAll: frozen connections pass nothing and never
// close; new ones are relayed.
func TestFaultProxyFreezeAll(t *testing.T) {
	checkLeaks(t)
	f := newFault(t, echoServer(t), hostile.FaultOptions{})
	c1 := dialEcho(t, f.Addr())
	if _, err := c1.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	one := make([]byte, 1)
	if _, err := io.ReadFull(c1, one); err != nil {
		t.Fatal(err)
	}
	if n := f.FreezeAll(); n != 1 {
		t.Fatalf("FreezeAll froze %d, want 1", n)
	}
	if _, err := c1.Write([]byte("b")); err != nil {
		t.Fatalf("a write into a frozen connection failed: %v", err)
	}
	c2 := dialEcho(t, f.Addr())
	if _, err := c2.Write([]byte("c")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c2, one); err != nil || one[0] != 'c' {
		t.Fatalf("a new connection after FreezeAll: %q, %v", one, err)
	}
	c1.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	var ne net.Error
	if n, err := c1.Read(one); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("frozen connection read %d bytes, %v; want nothing and no end", n, err)
	}
	c2.Close()
	waitFor(t, func() bool { return f.Active() == 1 })
	c1.Close() // not passed on: the frozen link stays until Close
	f.Close()
	if f.Active() != 0 {
		t.Fatalf("active=%d after Close", f.Active())
	}
}

// TestFaultProxyStallAll: a stalled connection reads nothing, so a writer
// into it blocks once the buffers fill; new connections are relayed.
func TestFaultProxyStallAll(t *testing.T) {
	checkLeaks(t)
	f := newFault(t, echoServer(t), hostile.FaultOptions{})
	c1 := dialEcho(t, f.Addr())
	one := make([]byte, 1)
	if _, err := c1.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c1, one); err != nil { // the link is up
		t.Fatal(err)
	}
	if n := f.StallAll(); n != 1 {
		t.Fatalf("StallAll stalled %d, want 1", n)
	}
	chunk := make([]byte, 64<<10)
	const bound = 1 << 30 // far above any loopback buffers
	var ne net.Error
	written := 0
	for ; written < bound; written += len(chunk) {
		c1.SetWriteDeadline(time.Now().Add(500 * time.Millisecond))
		if _, err := c1.Write(chunk); err != nil {
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("write into a stalled connection: %v, want a timeout", err)
			}
			break
		}
	}
	if written >= bound {
		t.Fatalf("wrote %d bytes into a stalled connection without blocking", written)
	}
	c2 := dialEcho(t, f.Addr())
	if _, err := c2.Write([]byte("c")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c2, one); err != nil || one[0] != 'c' {
		t.Fatalf("a new connection after StallAll: %q, %v", one, err)
	}
	c2.Close()
	c1.Close()
	f.Close()
	if f.Active() != 0 {
		t.Fatalf("active=%d after Close", f.Active())
	}
}
