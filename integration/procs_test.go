//go:build integration

package integration

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a component (nginx, tinyproxy, squid, node) run in the foreground
// as a child of the test binary, in a process group of its own, killed with
// the test binary if that dies (Pdeathsig), and stopped by stop.
type proc struct {
	name    string
	cmd     *exec.Cmd
	out     *logBuf
	stopSig syscall.Signal
	done    chan struct{} // closed when the process has exited
	waitErr error
}

// startProc starts argv with its output (stdout and stderr) kept in p.out.
func startProc(name string, stopSig syscall.Signal, dir string, argv ...string) (*proc, error) {
	bin, err := lookBin(argv[0])
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, argv[1:]...)
	cmd.Dir = dir
	out := &logBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &proc{name: name, cmd: cmd, out: out, stopSig: stopSig, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the thread that started the child ends, not
		// the process: keep this goroutine on its thread until the child
		// has exited.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// lookBin finds a program in PATH or in the sbin folders (squid and nginx
// live in /usr/sbin, which a non-root PATH may lack).
func lookBin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/sbin", "/usr/local/sbin", "/usr/local/bin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not installed (integration/setup.sh installs it)", name)
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitPort waits until addr accepts TCP connections (the component is
// ready), the process exits (an error with its output), or timeout.
func (p *proc) waitPort(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if p.exited() {
			return fmt.Errorf("%s exited before listening on %s (%v); its output:\n%s", p.name, addr, p.waitErr, p.out.String())
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			p.stop(2 * time.Second)
			return fmt.Errorf("%s did not listen on %s within %v: %v; its output:\n%s", p.name, addr, timeout, err, p.out.String())
		}
		// A bounded retry loop on a port, not a synchronisation by sleeping.
		time.Sleep(15 * time.Millisecond)
	}
}

// waitLine waits until the process printed a line containing s.
func (p *proc) waitLine(s string, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		w := p.out.changed()
		if strings.Contains(p.out.String(), s) {
			return nil
		}
		select {
		case <-w:
		case <-p.done:
			if strings.Contains(p.out.String(), s) {
				return nil
			}
			return fmt.Errorf("%s exited (%v) before printing %q; its output:\n%s", p.name, p.waitErr, s, p.out.String())
		case <-deadline.C:
			return fmt.Errorf("%s did not print %q within %v; its output:\n%s", p.name, s, timeout, p.out.String())
		}
	}
}

// stop signals the process group, waits up to grace, then kills it. It is
// safe to call more than once.
func (p *proc) stop(grace time.Duration) {
	if p == nil {
		return
	}
	pgid := p.cmd.Process.Pid
	if !p.exited() {
		syscall.Kill(-pgid, p.stopSig)
		t := time.NewTimer(grace)
		select {
		case <-p.done:
		case <-t.C:
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
		t.Stop()
	}
	// Helpers the component started (squid's auth helpers) go with it.
	syscall.Kill(-pgid, syscall.SIGKILL)
}

// logBuf keeps a process's output (the last 1 MiB) and tells waiters when
// it grows.
type logBuf struct {
	mu   sync.Mutex
	b    []byte
	wake chan struct{}
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	if len(l.b) > 1<<20 {
		l.b = append([]byte(nil), l.b[len(l.b)-(1<<20):]...)
	}
	if l.wake != nil {
		close(l.wake)
		l.wake = nil
	}
	return len(p), nil
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// changed returns a channel closed at the next write.
func (l *logBuf) changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.wake == nil {
		l.wake = make(chan struct{})
	}
	return l.wake
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

var placeholder = regexp.MustCompile(`@[A-Z_]+@`)

// fillTemplate reads conf/NAME, replaces every @KEY@ with vars[KEY] and
// writes the result to dst. A placeholder left unfilled is an error.
func fillTemplate(name, dst string, vars map[string]string) error {
	src, err := os.ReadFile(filepath.Join("conf", name))
	if err != nil {
		return err
	}
	s := string(src)
	for k, v := range vars {
		s = strings.ReplaceAll(s, "@"+k+"@", v)
	}
	if left := placeholder.FindString(s); left != "" {
		return fmt.Errorf("conf/%s: %s not filled", name, left)
	}
	return os.WriteFile(dst, []byte(s), 0o644)
}

// startOnFreePort starts a component on a free port, retrying with another
// port when the one picked was taken in between. start returns the process
// and the address to wait for.
func startOnFreePort(name string, start func(port int) (*proc, string, error)) (*proc, int, error) {
	var last error
	for try := 0; try < 3; try++ {
		port, err := freePort()
		if err != nil {
			return nil, 0, err
		}
		p, addr, err := start(port)
		if err != nil {
			return nil, 0, err
		}
		if err = p.waitPort(addr, 20*time.Second); err == nil {
			return p, port, nil
		}
		p.stop(time.Second)
		last = err
	}
	return nil, 0, fmt.Errorf("%s: %w", name, last)
}

// countLines counts the lines of s that contain all of subs.
func countLines(s string, subs ...string) int {
	n := 0
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
next:
	for sc.Scan() {
		for _, sub := range subs {
			if !strings.Contains(sc.Text(), sub) {
				continue next
			}
		}
		n++
	}
	return n
}

// readFileString reads a file, "" when it cannot.
func readFileString(path string) string {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Sprintf("(%v)", err)
	}
	return string(b)
}
