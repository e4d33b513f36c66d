//go:build !js

package client

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/testkit/testserver"
	"github.com/tether-sdk/tether/server"
	"github.com/tether-sdk/tether/transport"
)

// benchEcho dials a session-mode client to a server.Handler echoing every
// message, over loopback TLS.
func benchEcho(b *testing.B) *Client {
	b.Helper()
	return benchDialer(b)()
}

// benchDialer starts an echo server and returns a function dialing a
// session-mode client to it.
func benchDialer(b *testing.B) func() *Client {
	b.Helper()
	h := server.NewHandler(func(s *server.Session) {
		ctx := context.Background()
		for {
			m, err := s.Receive(ctx)
			if err != nil {
				return
			}
			if err := s.Send(ctx, server.Message{Binary: m.Binary, Data: m.Data}); err != nil {
				return
			}
		}
	}, nil)
	srv := testserver.New(b, h, h)
	return func() *Client {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := Dial(ctx, srv.URL("wss", "/live"), &Options{Dial: &transport.Config{RootCAs: srv.CA.Pool(), Proxy: transport.NoProxy}})
		if err != nil {
			b.Fatalf("Dial: %v", err)
		}
		b.Cleanup(func() { c.Close(context.Background()) })
		return c
	}
}

// writeSyscalls is this process's write syscalls so far (/proc/self/io
// syscw; -1 where there is none): client and server together, as the
// benchmarks run both.
func writeSyscalls() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("syscw: ")); ok {
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// reportWrites reports write syscalls per message since w0 (both sides).
func reportWrites(b *testing.B, w0 int64) {
	if w1 := writeSyscalls(); w0 >= 0 && w1 >= 0 {
		b.ReportMetric(float64(w1-w0)/float64(b.N), "writes/msg")
	}
}

// BenchmarkClientEchoPingPong: one 1 KiB message at a time, session mode.
func BenchmarkClientEchoPingPong(b *testing.B) {
	c := benchEcho(b)
	ctx := context.Background()
	msg := make([]byte, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	w0 := writeSyscalls()
	for range b.N {
		if err := c.Send(ctx, Message{Binary: true, Data: msg}); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Receive(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	reportWrites(b, w0)
}

// BenchmarkClientEchoPipelined: 128 1 KiB messages in flight, session mode.
func BenchmarkClientEchoPipelined(b *testing.B) {
	c := benchEcho(b)
	ctx := context.Background()
	msg := make([]byte, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	w0 := writeSyscalls()
	done := make(chan error, 1)
	go func() {
		for range b.N {
			if _, err := c.Receive(ctx); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range b.N {
		if err := c.Send(ctx, Message{Binary: true, Data: msg}); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	reportWrites(b, w0)
}

// BenchmarkClientIdle: goroutines and heap per idle session-mode
// connection (the server's goroutines are counted too, as they share the
// process; compare before and after).
func BenchmarkClientIdle(b *testing.B) {
	dial := benchDialer(b)
	dial()
	const n = 50
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := runtime.NumGoroutine()
	cs := make([]*Client, n)
	for i := range cs {
		cs[i] = dial()
	}
	time.Sleep(100 * time.Millisecond)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	g1 := runtime.NumGoroutine()
	for range b.N {
	}
	b.ReportMetric(float64(g1-g0)/n, "goroutines/conn")
	b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/n/1024, "heapKiB/conn")
	_ = cs
}
