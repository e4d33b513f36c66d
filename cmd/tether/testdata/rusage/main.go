//go:build linux

// Command rusage runs a command and reports its pid and its peak RSS, for
// the hostile-peer suite (../../hostile_test.go). It exists because a child
// started straight from the test process inherits that process's
// high-water RSS in ru_maxrss: Go starts children with vfork (CLONE_VM),
// and exec records the old address space's peak, which is the parent's.
// This small process's own peak is what its child inherits instead.
//
// Usage: rusage COMMAND [ARG...], with a pipe as file descriptor 3, on
// which it writes "pid N" once the command started and "maxrss KiB" once it
// ended. SIGINT and SIGTERM are passed on to the command; the exit code is
// the command's (1 if a signal ended it).
package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

func main() {
	report := os.NewFile(3, "report")
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "rusage:", err)
		os.Exit(1)
	}
	fmt.Fprintf(report, "pid %d\n", cmd.Process.Pid)
	go func() {
		for s := range sigs {
			cmd.Process.Signal(s)
		}
	}()
	cmd.Wait()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		fmt.Fprintf(report, "maxrss %d\n", ru.Maxrss)
	}
	report.Close()
	code := cmd.ProcessState.ExitCode()
	if code < 0 {
		code = 1
	}
	os.Exit(code)
}
