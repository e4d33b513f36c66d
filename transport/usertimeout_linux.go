package transport

import (
	"syscall"
	"time"
)

// tcpUserTimeout is TCP_USER_TIMEOUT (18 on every Linux architecture;
// package syscall names it only on some).
const tcpUserTimeout = 0x12

// setUserTimeout sets TCP_USER_TIMEOUT: the kernel drops the connection
// when data it sent stays unacknowledged (or keep-alive probes go
// unanswered) for d.
func setUserTimeout(c syscall.RawConn, d time.Duration) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeout, int(d.Milliseconds()))
	})
	if err != nil {
		return err
	}
	return serr
}
