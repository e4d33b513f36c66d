//go:build unix && !aix && !js

package transport

import (
	"errors"
	"net"
	"syscall"
)

// peekAlive peeks at c's socket without waiting: nothing to read yet
// (EAGAIN) is alive; the peer's FIN (a zero-length read), a reset, or
// bytes nobody asked for are not.
func peekAlive(c *net.TCPConn) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return false
	}
	alive := false
	var buf [1]byte
	if err := rc.Control(func(fd uintptr) {
		_, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		alive = err != nil && (errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EINTR))
	}); err != nil {
		return false
	}
	return alive
}
