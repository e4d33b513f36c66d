//go:build linux

package procs

import (
	"fmt"
	"net"
	"time"
)

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// OnFreePort starts a component on a free port and waits until it listens
// on 127.0.0.1:port, retrying with another port (3 tries) when the one
// picked was taken in between.
func OnFreePort(name string, start func(port int) (*Proc, error)) (*Proc, int, error) {
	var last error
	for try := 0; try < 3; try++ {
		port, err := FreePort()
		if err != nil {
			return nil, 0, err
		}
		p, err := start(port)
		if err != nil {
			return nil, 0, err
		}
		if last = p.WaitPort(fmt.Sprintf("127.0.0.1:%d", port), 20*time.Second); last == nil {
			return p, port, nil
		}
		p.Stop(time.Second)
	}
	return nil, 0, fmt.Errorf("%s: %w", name, last)
}
