package main

// The hostile-peer suite, client side (issue 10): the real tether command
// against malicious servers (hostile_server_test.go) on 127.0.0.1. Each case
// asserts the bounds as memory and counts, never as time: the child's peak
// RSS stays under 64 MiB, the bytes the server got written on any one
// connection stay within what the client reads at most plus what kernel
// buffers hold, and stderr says why the client stopped reading.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/transport"
)

const (
	// peakRSSLimit is the ceiling for the client facing a 1 GB
	// answer or an endless header.
	peakRSSLimit = 64 << 20
	// killRSS stops a child that is clearly unbounded, so that a regression
	// fails the test instead of exhausting the machine.
	killRSS = 1 << 30
	// hangGuard ends a child that neither exits nor gets interrupted: a
	// safety net, not an assertion on time.
	hangGuard = 90 * time.Second

	// What the client reads at most, at its default limits.
	answerLimit    = 6*client.DefaultMaxMessageBytes + 64<<10 // an SSE line or a poll answer: 6 x max + 64 KiB
	headerLimit    = transport.MaxHandshakeAnswer             // = transport.MaxResponseHeader
	errorBodyLimit = transport.MaxErrorBody + 16<<10          // an error answer's body, plus read buffers
)

// hostileRun is one run of the command against a malicious server.
type hostileRun struct {
	result
	peak   int64 // peak RSS in bytes; 0 where not measured
	killed bool  // the RSS watchdog killed the child
	hung   bool  // the hang guard killed the child
}

func TestHostileServers(t *testing.T) {
	bin := plainTether(t)
	var spawner string
	if rssMeasured {
		spawner = goBuild(t, "./testdata/rusage", "rusage")
	}
	cases := []struct {
		name       string
		script     script
		transports string
		// disconnects: the run is interrupted after this many
		// event=disconnected lines (the attack comes after the welcome,
		// and the client reconnects and meets it again); 0: the command
		// gives up by itself.
		disconnects int
		limit       int64    // bytes the client reads at most on one connection
		want        []string // on stderr
	}{
		{"sse welcome max 1 GiB then a 1 GB line", sseHugeLine, "sse", 2, answerLimit,
			[]string{"event=disconnected transport=sse", fmt.Sprintf("a line of the event stream exceeded %d bytes", answerLimit), "raise client.Options.MaxMessageBytes"}},
		{"long-poll answer of 1 GB", pollHugeAnswer, "longpoll", 2, answerLimit,
			[]string{"event=disconnected transport=longpoll", fmt.Sprintf("the poll answer exceeded %d bytes", answerLimit), "raise client.Options.MaxMessageBytes"}},
		{"101 then an endless header", wsEndlessHeader, "websocket", 0, headerLimit,
			[]string{"tether: could not connect (tried websocket)", fmt.Sprintf("answer to the upgrade (status line and headers) exceeded %d bytes", headerLimit)}},
		{"endless error body", endlessErrorBody, "websocket,sse,longpoll", 0, errorBodyLimit,
			[]string{"tether: could not connect (tried websocket, sse, longpoll)", "500 Internal Server Error"}},
		{"SSE and long-poll answers with an endless header", httpEndlessHeader, "sse,longpoll", 0, headerLimit,
			[]string{"tether: could not connect (tried sse, longpoll)", fmt.Sprintf("header of the server's answer (status line and headers) exceeded %d bytes", headerLimit)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := startHostile(t, tc.script)
			r := runHostile(t, spawner, bin, tc.disconnects, "connect", "-v", "--count", "1", "--timeout", "60s",
				"--transports", tc.transports, h.url())
			h.stop()
			written := h.written()
			t.Logf("peak RSS %.1f MiB; bytes written per connection %v\n%s", float64(r.peak)/(1<<20), written, r.stderr)
			switch {
			case r.killed:
				t.Fatalf("the client passed %d MiB of RSS and was killed: its reads are not bounded", killRSS>>20)
			case r.hung:
				t.Fatalf("the client neither gave up nor met the attack %d times within %v", tc.disconnects, hangGuard)
			}
			if rssMeasured && r.peak >= peakRSSLimit {
				t.Errorf("peak RSS %.1f MiB, want under %d MiB", float64(r.peak)/(1<<20), peakRSSLimit>>20)
			}
			if !rssMeasured {
				t.Log("peak RSS is not measured on this OS; bytes and messages are checked")
			}
			if len(written) == 0 {
				t.Fatal("the client never connected to the malicious server")
			}
			bound := tc.limit + socketSlack()
			for i, n := range written {
				if n > bound {
					t.Errorf("connection %d: the server wrote %d bytes before the client stopped reading, want at most %d (%d read + kernel buffers)",
						i, n, bound, tc.limit)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not say %q\n%s", w, r)
				}
			}
			if r.code != exitFailure {
				t.Errorf("exit code %d, want %d\n%s", r.code, exitFailure, r)
			}
		})
	}
}

// goBuild builds the package at pkg into a binary called name in a
// temporary directory.
func goBuild(t *testing.T, pkg, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	gobin := "go"
	if p := filepath.Join(os.Getenv("GOROOT"), "bin", "go"); os.Getenv("GOROOT") != "" {
		if _, err := os.Stat(p); err == nil {
			gobin = p
		}
	}
	if out, err := exec.Command(gobin, "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// plainTether returns a tether binary built without the race detector (whose
// shadow memory would swamp the RSS figures).
func plainTether(t *testing.T) string {
	t.Helper()
	if !raceEnabled {
		return tetherBin
	}
	return goBuild(t, ".", "tether")
}

// runHostile runs bin with args and no stdin, under spawner (testdata/rusage)
// where RSS is measured, so that the child's ru_maxrss is its own and not
// this test process's (see testdata/rusage/main.go). With disconnects > 0 it
// interrupts the child once stderr has logged that many disconnects. A
// watchdog kills the child above killRSS, and a guard after hangGuard.
func runHostile(t *testing.T, spawner, bin string, disconnects int, args ...string) hostileRun {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var report *os.File
	if rssMeasured {
		cmd = exec.Command(spawner, append([]string{bin}, args...)...)
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		cmd.ExtraFiles = []*os.File{w}
		report = r
	}
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader("")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if len(cmd.ExtraFiles) > 0 {
		cmd.ExtraFiles[0].Close() // the spawner holds its end
	}

	// The command's pid and, at its end, its peak RSS in KiB, from the
	// spawner; without one the command is the child itself.
	var pid, maxrss atomic.Int64
	started := make(chan struct{})
	reportDone := make(chan struct{})
	if report == nil {
		pid.Store(int64(cmd.Process.Pid))
		close(started)
		close(reportDone)
	} else {
		go func() {
			defer close(reportDone)
			sc := bufio.NewScanner(report)
			for sc.Scan() {
				var n int64
				if _, err := fmt.Sscanf(sc.Text(), "pid %d", &n); err == nil {
					pid.Store(n)
					close(started)
				} else if _, err := fmt.Sscanf(sc.Text(), "maxrss %d", &n); err == nil {
					maxrss.Store(n)
				}
			}
		}()
	}
	signal := func(s os.Signal) {
		if p, err := os.FindProcess(int(pid.Load())); err == nil && pid.Load() > 0 {
			p.Signal(s)
		}
	}

	var run hostileRun
	var killed, hung atomic.Bool
	exited := make(chan struct{})
	var mu sync.Mutex
	var stderr strings.Builder
	seen := make(chan struct{}, 1024)
	stderrDone := make(chan struct{})
	go func() {
		defer close(stderrDone)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			mu.Lock()
			stderr.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.Contains(sc.Text(), "event=disconnected") {
				select {
				case seen <- struct{}{}:
				default: // enough counted; never hold up the child's stderr
				}
			}
		}
		io.Copy(io.Discard, pipe) // after a line too long for the scanner
	}()
	if disconnects > 0 {
		go func() {
			for range disconnects {
				select {
				case <-seen:
				case <-exited:
					return
				}
			}
			select {
			case <-started:
				signal(os.Interrupt)
			case <-exited:
			}
		}()
	}
	go func() {
		select {
		case <-started:
		case <-exited:
			return
		}
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-exited:
				return
			case <-tick.C:
				if rss, ok := currentRSS(int(pid.Load())); ok && rss > killRSS {
					killed.Store(true)
					signal(os.Kill)
					return
				}
			}
		}
	}()
	guard := time.AfterFunc(hangGuard, func() { hung.Store(true); signal(os.Kill) })
	<-stderrDone
	err = cmd.Wait()
	close(exited)
	guard.Stop()
	<-reportDone

	run.stdout, run.stderr = stdout.String(), stderr.String()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		run.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("tether %s: %v", strings.Join(args, " "), err)
	}
	run.killed, run.hung = killed.Load(), hung.Load()
	run.peak = maxrss.Load() * 1024 // KiB on Linux, the only place it is measured
	if rssMeasured && run.peak == 0 {
		t.Fatalf("no rusage for the child: cannot measure its peak RSS\n%s", run.result)
	}
	if strings.Contains(run.stderr, "panic:") || strings.Contains(run.stderr, "goroutine ") {
		t.Fatalf("a stack trace on stderr:\n%s", run.result)
	}
	return run
}
