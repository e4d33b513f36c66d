package transport

import (
	"net"
	"syscall"
)

// quickAck wraps c, a TCP connection to a proxy, so that every read that
// returns data is followed by TCP_QUICKACK: the kernel acknowledges what was
// read at once instead of delaying the ACK (40 ms on Linux).
//
// Why: a proxy that writes with Nagle's algorithm on (tinyproxy sets no
// TCP_NODELAY) holds a small segment until its previous one is acknowledged.
// When the client has nothing to send back (it waits for the rest of the
// server's answer), that ACK is the delayed one and each such pair of
// writes costs 40 ms: through tinyproxy, a TLS handshake whose last bytes
// (the session ticket) and the HTTP answer that follows them were two relay
// writes made connects take 45-90 ms instead of 5. Setting TCP_QUICKACK after
// the read sends the pending ACK now (the option is not sticky, so it is set
// after every read).
func quickAck(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	return &quickAckConn{Conn: c, rc: rc}
}

// quickAckConn embeds net.Conn, not *net.TCPConn, so that no WriteTo or
// ReadFrom of the TCP connection bypasses Read.
type quickAckConn struct {
	net.Conn
	rc syscall.RawConn
}

func (c *quickAckConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.rc.Control(func(fd uintptr) {
			// Best effort: a failure leaves the kernel's default (delayed
			// ACKs), which is slower but correct.
			_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
		})
	}
	return n, err
}

// NetConn returns the TCP connection below.
func (c *quickAckConn) NetConn() net.Conn { return c.Conn }
