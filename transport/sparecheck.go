//go:build !js

package transport

import (
	"crypto/tls"
	"net"
)

// idleAlive reports whether c, an idle connection at a message boundary
// (a spare), may still carry a request: nothing is waiting to be read on
// it and the other side has not closed or reset it. It never blocks: it
// peeks at the TCP socket below the TLS and tunnel layers without
// waiting (a deadline in the past would not do: Go fails such a read
// before looking at the socket). Anything waiting means the server
// closed (a TLS close_notify, an HTTP 408) or went off the message
// boundary: not alive. Where it cannot look (no TCP socket below, a
// platform without a non-blocking peek), it reports alive, and the HTTP
// client's retry of a request that fails on a spare covers the rest
// (spareRetry).
func idleAlive(c net.Conn) bool {
	for {
		switch x := c.(type) {
		case *net.TCPConn:
			return peekAlive(x)
		case *tls.Conn:
			c = x.NetConn()
		case *prefixConn:
			if len(x.prefix) > 0 {
				return false
			}
			c = x.Conn
		case interface{ NetConn() net.Conn }:
			c = x.NetConn()
		default:
			return true
		}
	}
}
