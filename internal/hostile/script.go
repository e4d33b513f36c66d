package hostile

import (
	"context"
	"fmt"
	"io"
	"net"
)

// Script takes over a [ForwardProxy] client connection after the proxy has
// read a request head, instead of the proxy's normal handling. It may write
// anything (or nothing) to conn; the proxy closes conn when Script returns.
// ctx is cancelled when the proxy is closed, which also closes conn.
type Script func(ctx context.Context, conn net.Conn)

// Reply returns a Script that writes raw verbatim and closes the connection:
// for example "HTTP/1.1 407\r\n\r\n" (no reason phrase), "\x00\x01 hello"
// (garbage) or "HTTP/1.1 200 Connection established\r\n\r\n" (a tunnel that
// closes at once).
func Reply(raw string) Script {
	return func(_ context.Context, conn net.Conn) {
		io.WriteString(conn, raw)
	}
}

// ReplyAndHold returns a Script that writes raw verbatim and then keeps the
// connection open, discarding whatever the client sends, until the client
// closes it or the proxy is closed.
func ReplyAndHold(raw string) Script {
	return func(_ context.Context, conn net.Conn) {
		if _, err := io.WriteString(conn, raw); err != nil {
			return
		}
		io.Copy(io.Discard, conn)
	}
}

// Silent returns a Script that never answers: it holds the connection open,
// discarding input, until the client closes it or the proxy is closed.
func Silent() Script { return ReplyAndHold("") }

// EndlessHeaders returns a Script that writes a 200 status line followed by
// header lines forever, never finishing the head, until the client goes away
// or the proxy is closed.
func EndlessHeaders() Script {
	return func(ctx context.Context, conn net.Conn) {
		if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n"); err != nil {
			return
		}
		for i := 0; ctx.Err() == nil; i++ {
			if _, err := fmt.Fprintf(conn, "X-Filler-%d: %0128d\r\n", i, i); err != nil {
				return
			}
		}
	}
}
