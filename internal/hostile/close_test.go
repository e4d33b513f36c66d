package hostile_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/hostile"
)

// TestCloseReleasesEverything: each component is closed while it holds live
// connections (a tunnel, a streaming response, a relayed pair, a held
// connection); every client connection ends, Close is idempotent, and no
// goroutine of the package or extra goroutine overall remains.
func TestCloseReleasesEverything(t *testing.T) {
	checkLeaks(t)
	echo := echoServer(t)
	next := make(chan string)
	t.Cleanup(func() { close(next) })
	sse := sseBackend(t, next)

	fp, err := hostile.NewForwardProxy(hostile.ProxyOptions{TLS: getPKI(t).cert()})
	if err != nil {
		t.Fatal(err)
	}
	su, err := hostile.NewStripUpgrade(sse, hostile.ReverseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bh, err := hostile.NewBlackHole()
	if err != nil {
		t.Fatal(err)
	}
	fa, err := hostile.NewFaultProxy(echo, hostile.FaultOptions{Min: time.Hour, Max: time.Hour})
	if err != nil {
		t.Fatal(err)
	}

	var live []net.Conn
	// A TLS-proxy tunnel to the echo server.
	pc, err := tls.Dial("tcp", fp.Addr(), getPKI(t).clientTLS())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	io.WriteString(pc, "CONNECT "+echo+" HTTP/1.1\r\nHost: "+echo+"\r\n\r\n")
	br := bufio.NewReader(pc)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	io.WriteString(pc, "hi")
	if _, err := io.ReadFull(br, make([]byte, 2)); err != nil {
		t.Fatalf("tunnel echo: %v", err)
	}
	live = append(live, pc)
	// A relayed FaultProxy pair and a held BlackHole connection.
	fc := dialEcho(t, fa.Addr())
	if err := echoRoundTrip(fc, []byte("x")); err != nil {
		t.Fatal(err)
	}
	live = append(live, fc, dialEcho(t, bh.Addr()))
	waitFor(t, func() bool { return bh.Open() == 1 })

	// A streaming response through StripUpgrade.
	c := client(t, &http.Transport{})
	resp, err := c.Get(su.URL() + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	for _, cl := range []io.Closer{fp, su, bh, fa} {
		if err := cl.Close(); err != nil {
			t.Errorf("Close %T: %v", cl, err)
		}
		if err := cl.Close(); err != nil {
			t.Errorf("second Close %T: %v", cl, err)
		}
	}
	for _, c := range live {
		expectClosed(t, c)
	}
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("stream through StripUpgrade ended cleanly, want an abort")
	}
	if stacks, ok := settle(func(s string) bool { return strings.Contains(s, "internal/hostile.") }); !ok {
		t.Fatalf("hostile goroutines after Close:\n%s", stacks)
	}
}
