//go:build linux

package procs

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Proc is a running component.
type Proc struct {
	Name    string
	cmd     *exec.Cmd
	out     *logBuf
	done    chan struct{} // closed when the process has exited
	waitErr error
}

// Start starts argv in dir, argv[0] found with LookBin, with its output
// (stdout and stderr) kept for Output.
func Start(name, dir string, argv ...string) (*Proc, error) {
	bin, err := LookBin(argv[0])
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, argv[1:]...)
	cmd.Dir = dir
	out := &logBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &Proc{Name: name, cmd: cmd, out: out, done: make(chan struct{})}
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

// LookBin finds a program in PATH or in the sbin folders (squid and nginx
// live in /usr/sbin, which a non-root PATH may lack).
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
	return "", fmt.Errorf("%s is not installed (integration/setup.sh installs it for make integration, bench/setup.sh for make bench)", name)
}

// Pid is the component's process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Output is what the process printed so far (the last 1 MiB).
func (p *Proc) Output() string { return p.out.String() }

// exited reports whether the process has ended.
func (p *Proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// WaitPort waits until addr accepts TCP connections (the component is
// ready), the process exits (an error with its output), or timeout (the
// process is stopped and an error with its output returned).
func (p *Proc) WaitPort(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if p.exited() {
			return fmt.Errorf("%s exited before listening on %s (%v); its output:\n%s", p.Name, addr, p.waitErr, p.out.String())
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			p.Stop(2 * time.Second)
			return fmt.Errorf("%s did not listen on %s within %v: %v; its output:\n%s", p.Name, addr, timeout, err, p.out.String())
		}
		// A bounded retry loop on a port, not a synchronisation by sleeping.
		time.Sleep(15 * time.Millisecond)
	}
}

// WaitLine waits until the process printed a line containing s.
func (p *Proc) WaitLine(s string, timeout time.Duration) error {
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
			return fmt.Errorf("%s exited (%v) before printing %q; its output:\n%s", p.Name, p.waitErr, s, p.out.String())
		case <-deadline.C:
			return fmt.Errorf("%s did not print %q within %v; its output:\n%s", p.Name, s, timeout, p.out.String())
		}
	}
}

// Stop sends SIGTERM to the process group, waits up to grace, then kills
// it. Safe on nil and more than once.
func (p *Proc) Stop(grace time.Duration) {
	if p == nil {
		return
	}
	pgid := p.cmd.Process.Pid
	if !p.exited() {
		syscall.Kill(-pgid, syscall.SIGTERM)
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

// Kill ends the process itself (not its group) with SIGKILL, with no
// chance to clean up, and waits until it has exited.
func (p *Proc) Kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}
