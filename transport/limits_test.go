//go:build !js

package transport

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
)

// endlessHeader hijacks the connection, writes status (e.g. "101 Switching
// Protocols") and then header lines, up to total bytes or until the client
// is gone, and counts what it wrote.
func endlessHeader(status string, total int64, written *atomic.Int64, done chan<- struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		brw.WriteString("HTTP/1.1 " + status + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
		line := []byte("X-Filler: " + strings.Repeat("a", 1000) + "\r\n")
		for written.Load() < total {
			n, err := brw.Write(line)
			written.Add(int64(n))
			if err != nil || brw.Flush() != nil {
				return
			}
		}
	}
}

// The attack: a server answering 101 and then a header that never
// ends took the client to 3.7 GB. The dial stops at MaxHandshakeAnswer with
// a *LimitError, on ws:// and on wss:// (where the bound counts the answer,
// not TLS records).
func TestHandshakeAnswerBounded(t *testing.T) {
	const offered = 256 << 20
	for _, secure := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", secure), func(t *testing.T) {
			var written atomic.Int64
			done := make(chan struct{})
			h := endlessHeader("101 Switching Protocols", offered, &written, done)
			var d *Dialer
			if secure {
				p := newPKI(t)
				ts := newTarget(t, p, h)
				d = mustDialer(t, ts.wsURL("/custom"), &Config{RootCAs: p.ca.Pool()})
			} else {
				ts := httptest.NewServer(h)
				t.Cleanup(ts.Close)
				d = mustDialer(t, "ws://"+ts.Listener.Addr().String()+"/", &Config{})
			}
			_, _, err := d.dialWebSocket(context.Background(), nil)
			var le *LimitError
			if !errors.As(err, &le) || !errors.Is(err, ErrLimit) {
				t.Fatalf("got %v, want a *LimitError", err)
			}
			if le.Transport != "websocket" || le.Limit != MaxHandshakeAnswer || le.Fix != "" {
				t.Errorf("LimitError %+v", le)
			}
			if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("answer to the upgrade (status line and headers) exceeded %d bytes", MaxHandshakeAnswer)) {
				t.Errorf("message %q does not say what exceeded which bound", msg)
			}
			<-done // the client hung up: the server's write failed
			if n := written.Load(); n >= offered {
				t.Errorf("the server wrote all %d bytes: the client kept reading", n)
			}
		})
	}
}

// A handshake answer within the bound is fine, and the bound ends with the
// handshake: messages after it may total far more.
func TestHandshakeBoundLiftedAfterUpgrade(t *testing.T) {
	p := newPKI(t)
	up := websocket.Upgrader{}
	big := strings.Repeat("b", 40<<10) // a long header, under MaxHandshakeAnswer
	ts := newTarget(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, http.Header{"X-Big": {big}})
		if err != nil {
			return
		}
		defer c.Close()
		msg := bytes.Repeat([]byte("m"), 32<<10)
		for range 8 { // 256 KiB in all
			if c.WriteMessage(websocket.BinaryMessage, msg) != nil {
				return
			}
		}
	}))
	d := mustDialer(t, ts.wsURL("/custom"), &Config{RootCAs: p.ca.Pool()})
	c, resp, err := d.dialWebSocket(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if resp.Header.Get("X-Big") != big {
		t.Error("the long header did not arrive whole")
	}
	for i := range 8 {
		if _, msg, err := c.ReadMessage(); err != nil || len(msg) != 32<<10 {
			t.Fatalf("message %d: %d bytes, %v", i, len(msg), err)
		}
	}
}

// countConn counts the bytes read from it.
type countConn struct {
	net.Conn
	r    io.Reader
	read int64
}

func (c *countConn) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += int64(n)
	return n, err
}

// handshakeConn reads exactly its allowance before the lift, whatever the
// reader above asks for, and everything after it.
func TestHandshakeConnCap(t *testing.T) {
	answer := "HTTP/1.1 101 Switching Protocols\r\n" + strings.Repeat("X-A: "+strings.Repeat("a", 100)+"\r\n", 2000)
	under := &countConn{r: strings.NewReader(answer)}
	hc := newHandshakeConn(under, 4096)
	_, err := http.ReadResponse(bufio.NewReaderSize(hc, 1000), nil)
	if !errors.Is(err, errHandshakeAnswer) || !hc.hit {
		t.Fatalf("ReadResponse: %v (hit %v), want the cap's error", err, hc.hit)
	}
	if under.read != 4096 {
		t.Errorf("read %d bytes below the cap, want exactly 4096", under.read)
	}
	hc.lift()
	rest, err := io.ReadAll(hc)
	if err != nil || int64(len(rest)) != int64(len(answer))-4096 {
		t.Errorf("after lift: %d bytes, %v; want the remaining %d", len(rest), err, len(answer)-4096)
	}
	if hc.NetConn() != under {
		t.Error("NetConn is not the connection below")
	}
}

// The fallback transports' client reads at most MaxResponseHeader bytes of
// an answer's header (net/http's default is 10 MB), and HTTPError says so
// with a *LimitError. This also guards headerLimitText against a change in
// net/http's wording.
func TestHTTPClientResponseHeaderBounded(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		size := 32 << 10
		if r.URL.Path == "/big" {
			size = MaxResponseHeader + 1
		}
		w.Header().Set("X-Big", strings.Repeat("h", size))
		io.WriteString(w, "ok")
	}))
	t.Cleanup(ts.Close)
	d := mustDialer(t, "ws://"+ts.Listener.Addr().String()+"/", &Config{})
	resp, err := d.HTTPClient().Get(ts.URL + "/small")
	if err != nil {
		t.Fatalf("a 32 KiB header: %v", err)
	}
	resp.Body.Close()
	_, err = d.HTTPClient().Get(ts.URL + "/big")
	if err == nil {
		t.Fatal("a header over MaxResponseHeader was read")
	}
	err = d.HTTPError("sse", err)
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != MaxResponseHeader || le.Transport != "sse" {
		t.Fatalf("HTTPError: %v, want a *LimitError of MaxResponseHeader", err)
	}
	if other := errors.New("something else"); d.HTTPError("sse", other) != other {
		t.Error("HTTPError changed an unrelated error")
	}
	if d.HTTPError("sse", nil) != nil {
		t.Error("HTTPError(nil) is not nil")
	}
}

func TestLimitErrorMessage(t *testing.T) {
	cause := errors.New("cause")
	e := &LimitError{Transport: "longpoll", What: "the poll answer", Limit: 100, Fix: "raise X", Err: cause}
	if got, want := e.Error(), "tether/transport: longpoll: the poll answer exceeded 100 bytes; raise X"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, ErrLimit) || !errors.Is(e, cause) {
		t.Error("a LimitError matches neither ErrLimit nor its cause")
	}
	e.Fix = ""
	if !strings.Contains(e.Error(), "a fixed limit") {
		t.Errorf("a fixed bound's message %q does not say so", e.Error())
	}
}

// gorilla's read limit counts compressed bytes: an 8 MiB message of one byte
// repeated crosses the wire in a few KiB. ReadMessage bounds what it holds
// after decompression.
func TestReadMessageBoundsDecompressedSize(t *testing.T) {
	p := newPKI(t)
	up := websocket.Upgrader{EnableCompression: true}
	const size = 8 << 20
	ts := newTarget(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.EnableWriteCompression(true)
		msg := bytes.Repeat([]byte("z"), size)
		c.WriteMessage(websocket.BinaryMessage, msg)
		c.WriteMessage(websocket.BinaryMessage, msg)
		c.ReadMessage() // until the client is gone
	}))
	d := mustDialer(t, ts.wsURL("/custom"), &Config{RootCAs: p.ca.Pool()})
	c, _, err := d.dialWebSocket(context.Background(), &wsOptions{EnableCompression: true, ReadLimit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The gap: the wire limit lets the whole message through.
	if _, msg, err := c.ReadMessage(); err != nil || len(msg) != size {
		t.Fatalf("gorilla's ReadMessage: %d bytes, %v; the test needs the compressed message to pass the wire limit", len(msg), err)
	}
	_, _, err = readMessage(c, 1<<20)
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != 1<<20 || !errors.Is(err, websocket.ErrReadLimit) {
		t.Fatalf("ReadMessage: %v, want a LimitError of 1 MiB", err)
	}
}
