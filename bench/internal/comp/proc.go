// Package comp starts the real components the benchmark runs through
// (nginx, squid, tinyproxy, redis-server) on free loopback ports, in the
// foreground, as children of the harness: each in a process group of its
// own, killed with the harness if that dies (Pdeathsig), and stopped by
// Stop. The configuration templates are in conf/ (copied from the
// integration suite's integration/conf, which is in another module).
package comp

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// Proc is a running component.
type Proc struct {
	Name    string
	cmd     *exec.Cmd
	out     *logBuf
	done    chan struct{}
	waitErr error
}

// start starts argv (pinned to cpu with taskset unless cpu is "") in dir.
func start(name, cpu, dir string, argv ...string) (*Proc, error) {
	bin, err := LookBin(argv[0])
	if err != nil {
		return nil, err
	}
	argv[0] = bin
	if cpu != "" {
		argv = append([]string{"taskset", "-c", cpu}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	out := &logBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &Proc{Name: name, cmd: cmd, out: out, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the starting thread ends: keep it.
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

// LookBin finds a program in PATH or the sbin folders (nginx and squid are
// in /usr/sbin, which a non-root PATH may lack).
func LookBin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/sbin", "/usr/local/sbin", "/usr/local/bin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not installed (bench/setup.sh installs it; make bench runs it)", name)
}

func (p *Proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitPort waits until addr accepts connections, the process exits, or
// timeout.
func (p *Proc) waitPort(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if p.exited() {
			return fmt.Errorf("%s exited before listening on %s (%v):\n%s", p.Name, addr, p.waitErr, p.out.String())
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			p.Stop()
			return fmt.Errorf("%s did not listen on %s within %v:\n%s", p.Name, addr, timeout, p.out.String())
		}
		time.Sleep(15 * time.Millisecond) // bounded polling of a port
	}
}

// Stop sends SIGTERM to the process group, waits up to 10 s, then kills
// it. Safe on nil and more than once.
func (p *Proc) Stop() {
	if p == nil {
		return
	}
	pgid := p.cmd.Process.Pid
	if !p.exited() {
		syscall.Kill(-pgid, syscall.SIGTERM)
		t := time.NewTimer(10 * time.Second)
		select {
		case <-p.done:
		case <-t.C:
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
		t.Stop()
	}
	syscall.Kill(-pgid, syscall.SIGKILL) // helpers it started (squid's)
}

// Pid is the component's process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// logBuf keeps the last 256 KiB of a process's output.
type logBuf struct {
	mu sync.Mutex
	b  []byte
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	if len(l.b) > 256<<10 {
		l.b = append([]byte(nil), l.b[len(l.b)-256<<10:]...)
	}
	return len(p), nil
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// onFreePort starts a component on a free port, retrying with another port
// when the one picked was taken in between.
func onFreePort(name string, startAt func(port int) (*Proc, error)) (*Proc, int, error) {
	var last error
	for try := 0; try < 3; try++ {
		port, err := FreePort()
		if err != nil {
			return nil, 0, err
		}
		p, err := startAt(port)
		if err != nil {
			return nil, 0, err
		}
		if last = p.waitPort(fmt.Sprintf("127.0.0.1:%d", port), 20*time.Second); last == nil {
			return p, port, nil
		}
		p.Stop()
	}
	return nil, 0, fmt.Errorf("%s: %w", name, last)
}
