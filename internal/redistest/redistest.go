// Package redistest starts a real redis-server for tests (`make redis-test`
// installs it): on a free loopback port, without persistence, stopped when
// the test ends. A test that cannot start one fails. It is for tests only.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server a test started.
type Server struct {
	Addr string // 127.0.0.1:PORT
	Port string
	mu   sync.Mutex
	cmd  *exec.Cmd
	logs []string
}

// FreePort returns a loopback port nothing listens on now.
func FreePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// Start starts redis-server on port ("" for a free one), with extra
// arguments (redis-server options) appended, and waits until it answers.
func Start(t testing.TB, port string, extra ...string) *Server {
	t.Helper()
	if port == "" {
		port = FreePort(t)
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found (make redis-test installs it): %v", err)
	}
	s := &Server{Addr: "127.0.0.1:" + port, Port: port}
	s.cmd = exec.Command(bin, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--loglevel", "warning")
	s.cmd.Args = append(s.cmd.Args, extra...)
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = s.cmd.Stdout
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.mu.Lock()
			if len(s.logs) < 100 {
				s.logs = append(s.logs, sc.Text())
			}
			s.mu.Unlock()
		}
	}()
	t.Cleanup(s.Stop)
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			s.mu.Lock()
			defer s.mu.Unlock()
			t.Fatalf("redis-server on %s never answered; its log:\n%s", s.Addr, strings.Join(s.logs, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// URL is the server's redis:// URL, database 0.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// Stop kills the server (like a crash: nothing is saved) and waits for it.
func (s *Server) Stop() {
	if s.cmd.Process != nil && s.cmd.ProcessState == nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
}
