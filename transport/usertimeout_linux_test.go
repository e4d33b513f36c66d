package transport

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// Client sockets carry TCP_USER_TIMEOUT (DefaultUserTimeout, or
// Config.UserTimeout; none when negative) and keep-alive.
func TestSocketUserTimeoutAndKeepAlive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	for _, tc := range []struct {
		set, want time.Duration
	}{{0, DefaultUserTimeout}, {7 * time.Second, 7 * time.Second}, {-1, 0}} {
		d, err := New("ws://"+ln.Addr().String()+"/live", &Config{UserTimeout: tc.set})
		if err != nil {
			t.Fatal(err)
		}
		conn, err := d.dialTCP(t.Context(), ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		raw, err := conn.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var ut, ka int
		var gerr error
		raw.Control(func(fd uintptr) {
			ut, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeout)
			if gerr == nil {
				ka, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
			}
		})
		conn.Close()
		if gerr != nil {
			t.Fatal(gerr)
		}
		if time.Duration(ut)*time.Millisecond != tc.want || ka != 1 {
			t.Fatalf("UserTimeout %v: TCP_USER_TIMEOUT %d ms, SO_KEEPALIVE %d; want %v and 1", tc.set, ut, ka, tc.want)
		}
	}
}
