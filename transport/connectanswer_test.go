//go:build !js

package transport

import (
	"context"
	"testing"
	"time"
)

// A proxy that answers CONNECT in one write, the way tinyproxy does (an
// HTTP/1.0 status line and a Proxy-agent header), and then waits for the
// tunnel's first bytes: the dial returns on the answer alone. Were the
// reader to wait for more bytes than the answer has, it would wait for
// DialTimeout (an hour here) and the test would hang (issue 15, Deliver 4:
// the CONNECT exchange is not where tinyproxy's 50-90 ms go).
func TestConnectAnswerInOneWriteThenWait(t *testing.T) {
	addr := scriptedProxy(t, "HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1\r\n\r\n", true)
	proxy, _ := FixedProxy("http://" + addr)
	d := mustDialer(t, "wss://127.0.0.1:9/", &Config{Proxy: proxy, DialTimeout: time.Hour})
	c, err := d.dialVia(context.Background(), "wss", "127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(*prefixConn); ok {
		t.Fatal("no bytes came after the answer, yet the tunnel holds some")
	}
}
