package main

// The command is tested as a user runs it: TestMain builds the binary once
// (with -race when the tests run with it), and each test runs it with
// arguments and stdin, and checks stdout, stderr and the exit code.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var tetherBin string

// raceEnabled is set by race_test.go when the tests run with -race.
var raceEnabled bool

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tether-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tetherBin = filepath.Join(dir, "tether")
	args := []string{"build", "-o", tetherBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	gobin := "go"
	if p := filepath.Join(os.Getenv("GOROOT"), "bin", "go"); os.Getenv("GOROOT") != "" {
		if _, err := os.Stat(p); err == nil {
			gobin = p
		}
	}
	build := exec.Command(gobin, append(args, ".")...)
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building tether: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one run of the binary.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// tether runs the binary with stdin and args, and fails the test if it does
// not exit within timeout.
func tether(t *testing.T, timeout time.Duration, stdin string, args ...string) result {
	t.Helper()
	return tetherEnv(t, nil, timeout, stdin, args...)
}

// tetherEnv is tether with extra environment variables (NAME=value).
func tetherEnv(t *testing.T, env []string, timeout time.Duration, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, tetherBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(cleanEnv(), env...)
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("tether %s: still running after %v\n%s", strings.Join(args, " "), timeout, r)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("tether %s: %v", strings.Join(args, " "), err)
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "DATA RACE") {
		t.Fatalf("tether %s: a stack trace or race report on stderr:\n%s", strings.Join(args, " "), r)
	}
	return r
}

// cleanEnv is the environment without proxy settings, so that a proxy on
// the test machine changes nothing.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch strings.ToLower(name) {
		case "http_proxy", "https_proxy", "no_proxy", "all_proxy":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// wantFailure checks exit code code and a stderr of exactly one line that
// starts with "tether: " and contains every one of words.
func wantFailure(t *testing.T, r result, code int, words ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code %d, want %d\n%s", r.code, code, r)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "tether: ") {
		t.Errorf("stderr should be one line starting with \"tether: \"\n%s", r)
		return
	}
	for _, w := range words {
		if !strings.Contains(strings.ToLower(lines[0]), strings.ToLower(w)) {
			t.Errorf("the failure line does not mention %q: %s", w, lines[0])
		}
	}
	if r.stdout != "" {
		t.Errorf("stdout should be empty on failure, got %q", r.stdout)
	}
}

// served is a running "tether serve".
type served struct {
	url    string // as printed: wss://127.0.0.1:PORT/path
	addr   string // 127.0.0.1:PORT
	dir    string // --self-signed DIR, when used
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan struct{}

	stopOnce sync.Once
}

func (s *served) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

func (s *served) ca() string { return filepath.Join(s.dir, "ca.pem") }

// stop sends SIGTERM (once) and checks that serve shut down cleanly.
func (s *served) stop(t *testing.T) {
	s.stopOnce.Do(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		exited := make(chan error, 1)
		go func() { <-s.done; exited <- s.cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("tether serve did not exit cleanly on SIGTERM: %v\n%s", err, s.log())
			} else if !strings.Contains(s.log(), "tether serve: stopped") {
				t.Errorf("tether serve did not say it stopped:\n%s", s.log())
			}
		case <-time.After(15 * time.Second):
			s.cmd.Process.Kill()
			t.Errorf("tether serve still running 15 s after SIGTERM\n%s", s.log())
		}
	})
}

var listenLine = regexp.MustCompile(`^tether serve: listening on (wss?://([0-9.]+:[0-9]+)\S*)`)

// startServe runs "tether serve --listen 127.0.0.1:0" with args (and
// --self-signed into a fresh directory unless args choose TLS themselves),
// waits for the line saying where it listens, and on cleanup stops it with
// SIGTERM and checks that it shut down cleanly.
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	s := &served{done: make(chan struct{})}
	full := []string{"serve", "--listen", "127.0.0.1:0"}
	if !containsAny(args, "--plaintext", "--cert", "--self-signed") {
		s.dir = t.TempDir()
		full = append(full, "--self-signed", s.dir)
	}
	full = append(full, args...)
	s.cmd = exec.Command(tetherBin, full...)
	s.cmd.Env = cleanEnv()
	pipe, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan []string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.stderr.WriteString(line + "\n")
			s.mu.Unlock()
			if m := listenLine.FindStringSubmatch(line); m != nil {
				found <- m
			}
		}
	}()
	t.Cleanup(func() { s.stop(t) })
	select {
	case m := <-found:
		s.url, s.addr = m[1], m[2]
	case <-s.done:
		s.cmd.Wait()
		t.Fatalf("tether serve exited before listening:\n%s", s.log())
	case <-time.After(20 * time.Second):
		t.Fatalf("tether serve did not say where it listens:\n%s", s.log())
	}
	return s
}

func containsAny(args []string, names ...string) bool {
	for _, a := range args {
		for _, n := range names {
			if a == n || strings.HasPrefix(a, n+"=") {
				return true
			}
		}
	}
	return false
}
