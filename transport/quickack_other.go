//go:build !linux && !js

package transport

import "net"

// quickAck returns c unchanged outside Linux: there is no TCP_QUICKACK to
// send a delayed ACK at once (see quickack_linux.go for why it matters
// through a proxy that writes with Nagle's algorithm on).
func quickAck(c net.Conn) net.Conn { return c }
