package bench

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-sdk/tether/bench/internal/rig"
	"github.com/tether-sdk/tether/bench/internal/srv"
	"github.com/tether-sdk/tether/server"
)

// The remote side: a benchserver process, started on first use.
var (
	remoteOnce sync.Once
	remoteErr  error
	remoteBase string // https://127.0.0.1:PORT
	certDir    string
	serverBin  string
	pool       *x509.CertPool
	cleanups   []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range cleanups {
		f()
	}
	os.Exit(code)
}

// remote returns the base URL of the benchserver process.
func remote(tb testing.TB) string {
	tb.Helper()
	remoteOnce.Do(func() { remoteErr = startRemote() })
	if remoteErr != nil {
		tb.Fatal(remoteErr)
	}
	return remoteBase
}

func startRemote() error {
	dir, err := os.MkdirTemp("", "tether-bench-")
	if err != nil {
		return err
	}
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	certDir = filepath.Join(dir, "certs")
	if err := rig.Certs(certDir); err != nil {
		return err
	}
	if pool, err = rig.Pool(certDir); err != nil {
		return err
	}
	// TETHER_BENCH_BIN: a directory with a prebuilt benchserver (make bench).
	if bin := os.Getenv("TETHER_BENCH_BIN"); bin != "" {
		serverBin = filepath.Join(bin, "benchserver")
	} else {
		serverBin = filepath.Join(dir, "benchserver")
		out, err := exec.Command("go", "build", "-o", serverBin, "./cmd/benchserver").CombinedOutput()
		if err != nil {
			return fmt.Errorf("building benchserver: %v\n%s", err, out)
		}
	}
	cmd := exec.Command(serverBin, "serve", "-certs", certDir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	cleanups = append(cleanups, func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return fmt.Errorf("benchserver: %v", err)
	}
	remoteBase = strings.TrimSpace(line)
	return nil
}

func wss(base, path string) string { return "wss://" + strings.TrimPrefix(base, "https://") + path }

func dial(b *testing.B, lib, transport, path string) rig.Conn {
	b.Helper()
	base := remote(b)
	url := wss(base, path)
	if transport != "" && transport != "websocket" {
		url = base + path
	}
	c, err := rig.Dial(context.Background(), url, rig.DialOptions{Lib: lib, Transport: transport, Pool: pool})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

var libs = []string{rig.LibTether, rig.LibTetherRaw, rig.LibGorilla, rig.LibCoder}

// BenchmarkClientSend: one 1 KiB message sent per op, to a server that
// discards it. Tether's op includes its share of the acks it reads; the
// loop ends with Flush (acknowledged, or written in raw mode).
func BenchmarkClientSend(b *testing.B) {
	payload := rig.Payload(rig.MsgSize)
	for _, lib := range libs {
		b.Run(lib, func(b *testing.B) {
			_, _, sink := srv.Paths(lib)
			c := dial(b, lib, "websocket", sink)
			b.SetBytes(rig.MsgSize)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := c.Send(payload); err != nil {
					b.Fatal(err)
				}
			}
			if tc := rig.Client(c); tc != nil {
				if err := tc.Flush(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClientReceive: one 1 KiB message received per op, pushed by the
// server. Tether's op includes the acks it writes.
func BenchmarkClientReceive(b *testing.B) {
	type tc struct{ name, lib, transport string }
	cases := []tc{}
	for _, lib := range libs {
		cases = append(cases, tc{lib, lib, "websocket"})
	}
	cases = append(cases, tc{"tether-sse", rig.LibTether, "sse"}, tc{"tether-longpoll", rig.LibTether, "longpoll"})
	for _, k := range cases {
		b.Run(k.name, func(b *testing.B) {
			_, push, _ := srv.Paths(k.lib)
			c := dial(b, k.lib, k.transport, push)
			b.SetBytes(rig.MsgSize)
			b.ReportAllocs()
			b.ResetTimer()
			if err := c.Send(rig.PushCount(b.N, rig.MsgSize)); err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i++ {
				if _, err := c.Recv(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if m, err := c.Recv(); err != nil || !rig.IsEnd(m) {
				b.Fatalf("no end marker: %v", err)
			}
		})
	}
}

// BenchmarkEchoPingPong: one 1 KiB round trip per op.
func BenchmarkEchoPingPong(b *testing.B) {
	payload := rig.Payload(rig.MsgSize)
	for _, lib := range libs {
		b.Run(lib, func(b *testing.B) {
			echo, _, _ := srv.Paths(lib)
			c := dial(b, lib, "websocket", echo)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := c.Send(payload); err != nil {
					b.Fatal(err)
				}
				if _, err := c.Recv(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// local is a Tether server in this process whose sessions are handed to the
// benchmark, and a Tether client peer in another process.
type local struct {
	s    *server.Session
	stop func()
}

func startLocal(b *testing.B, mode string) *local {
	b.Helper()
	remote(b) // certificates and the peer binary
	sessions := make(chan *server.Session, 1)
	h := server.NewHandler(func(s *server.Session) {
		sessions <- s
		<-s.Context().Done()
	}, nil)
	tc, err := rig.ServerTLS(certDir)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: h, TLSConfig: tc}
	go hs.Serve(tls.NewListener(ln, tc))
	cmd := exec.Command(serverBin, "peer", "-certs", certDir, "-url", "wss://"+ln.Addr().String()+"/", "-mode", mode)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	l := &local{stop: func() {
		stdin.Close()
		cmd.Wait()
		hs.Close()
	}}
	select {
	case l.s = <-sessions:
	case <-time.After(30 * time.Second):
		l.stop()
		b.Fatal("the peer did not connect")
	}
	b.Cleanup(func() {
		l.s.Close(1000, "")
		l.stop()
	})
	return l
}

// BenchmarkServerSend: one 1 KiB Session.Send per op to a Tether client in
// another process; the op includes the acks the server reads.
func BenchmarkServerSend(b *testing.B) {
	l := startLocal(b, "recv")
	ctx := context.Background()
	msg := server.Message{Binary: true, Data: rig.Payload(rig.MsgSize)}
	b.SetBytes(rig.MsgSize)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := l.s.Send(ctx, msg); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.s.Send(ctx, server.Message{Binary: true, Data: []byte(rig.End)}); err != nil {
		b.Fatal(err)
	}
	if m, err := l.s.Receive(ctx); err != nil || string(m.Data) != "done" {
		b.Fatalf("peer: %q %v", m.Data, err)
	}
}

// BenchmarkServerReceive: one 1 KiB Session.Receive per op from a Tether
// client in another process; the op includes the acks the server writes.
func BenchmarkServerReceive(b *testing.B) {
	l := startLocal(b, "send")
	ctx := context.Background()
	b.SetBytes(rig.MsgSize)
	b.ReportAllocs()
	b.ResetTimer()
	if err := l.s.Send(ctx, server.Message{Data: rig.PushCount(b.N, rig.MsgSize)}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := l.s.Receive(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if m, err := l.s.Receive(ctx); err != nil || !rig.IsEnd(m.Data) {
		b.Fatalf("no end marker: %v", err)
	}
}
