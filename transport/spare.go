//go:build !js

package transport

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// A refused upgrade (a proxy that dropped the Upgrade header, a server
// that answers 400) leaves a connection that can carry the fallback's
// first request: the TCP connection, the proxy's tunnel and the TLS
// session are already there, and their round trips need not be paid
// again. dialWebSocket keeps such a connection as the Dialer's spare when
// the answer allows it (reusableAnswer); the HTTP client's dial takes it
// before opening a new one. There is at most one spare, for this Dialer's
// target only (one target, one TLS configuration, pins checked in its
// handshake), closed when not taken within SpareWait.

// SpareWait is how long a spare connection waits for the fallback's request.
const SpareWait = time.Second

// maxSpareBody is the largest body of a refusal whose connection is kept:
// gorilla reads 1024 bytes of a failed upgrade's answer, so a body within
// that has been read to its end and the connection is at a message boundary.
const maxSpareBody = 1024

// spareSlot holds the Dialer's spare connection.
type spareSlot struct {
	mu    sync.Mutex
	key   string // scheme ("http" or "https") and host:port it was dialled for
	conn  net.Conn
	timer *time.Timer
}

// reusableAnswer reports an answer to a refused upgrade after which the
// connection may carry another request: HTTP/1.1 or later, no
// "Connection: close", no other protocol, and a body delimited by its
// Content-Length and small enough to have been read whole.
func reusableAnswer(resp *http.Response) bool {
	return resp != nil && resp.ProtoAtLeast(1, 1) && !resp.Close && resp.StatusCode >= 400 &&
		len(resp.TransferEncoding) == 0 && resp.ContentLength >= 0 && resp.ContentLength <= maxSpareBody
}

// putSpare keeps c, a connection to addr for scheme (http or https) at a
// message boundary, as the spare, closing any earlier one.
func (d *Dialer) putSpare(scheme, addr string, c net.Conn) {
	if err := c.SetDeadline(time.Time{}); err != nil {
		c.Close()
		return
	}
	s := &d.spare
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.timer.Stop()
		s.conn.Close()
	}
	s.key, s.conn = scheme+" "+addr, c
	s.timer = time.AfterFunc(SpareWait, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.conn == c {
			s.conn.Close()
			s.conn = nil
		}
	})
}

// takeSpare returns the spare connection to addr for scheme, nil when
// there is none.
func (d *Dialer) takeSpare(scheme, addr string) net.Conn {
	s := &d.spare
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil || s.key != scheme+" "+addr {
		return nil
	}
	c := s.conn
	s.conn = nil
	s.timer.Stop()
	return c
}

// httpScheme is the HTTP scheme of a WebSocket one.
func httpScheme(ws string) string {
	if ws == "wss" {
		return "https"
	}
	return "http"
}
