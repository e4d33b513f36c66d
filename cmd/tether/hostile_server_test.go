package main

// Malicious servers for the hostile-peer suite (hostile_test.go): raw TCP
// listeners on 127.0.0.1 that read one HTTP/1.1 request per connection and
// answer it with a script, counting the bytes they manage to write on each
// connection. Large answers are streamed from one small chunk, never
// allocated.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// attackBytes is how much a malicious answer offers at most: 1 GB.
const attackBytes = 1 << 30

// serverSendBuffer is the socket send buffer of a malicious server's
// connections, so that what sits in its kernel buffer is known.
const serverSendBuffer = 256 << 10

// hostileConn is one connection of a hostileServer: it counts what the
// server wrote on it.
type hostileConn struct {
	net.Conn
	written atomic.Int64
}

func (c *hostileConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// script answers one request; it writes its answer to c and returns when
// done or when a write fails.
type script func(c *hostileConn, req *http.Request)

type hostileServer struct {
	t      *testing.T
	ln     net.Listener
	script script

	mu    sync.Mutex
	conns []*hostileConn
	wg    sync.WaitGroup
}

// startHostile starts a malicious server running s on every connection.
func startHostile(t *testing.T, s script) *hostileServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hostileServer{t: t, ln: ln, script: s}
	h.wg.Add(1)
	go h.accept()
	t.Cleanup(h.stop)
	return h
}

func (h *hostileServer) url() string { return "http://" + h.ln.Addr().String() + "/live" }

func (h *hostileServer) accept() {
	defer h.wg.Done()
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetWriteBuffer(serverSendBuffer)
		}
		hc := &hostileConn{Conn: c}
		h.mu.Lock()
		h.conns = append(h.conns, hc)
		h.mu.Unlock()
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			defer c.Close()
			req, err := http.ReadRequest(bufio.NewReaderSize(c, 64<<10))
			if err != nil {
				return
			}
			h.script(hc, req)
		}()
	}
}

// stop closes the listener and every connection, and waits for the scripts.
func (h *hostileServer) stop() {
	h.ln.Close()
	h.mu.Lock()
	for _, c := range h.conns {
		c.Close()
	}
	h.mu.Unlock()
	h.wg.Wait()
}

// written returns the bytes written on each connection so far, in the order
// the connections were accepted.
func (h *hostileServer) written() []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]int64, len(h.conns))
	for i, c := range h.conns {
		out[i] = c.written.Load()
	}
	return out
}

// stream writes chunk over and over until total bytes are written or a
// write fails.
func stream(w io.Writer, chunk []byte, total int64) error {
	for sent := int64(0); sent < total; {
		p := chunk
		if rest := total - sent; rest < int64(len(p)) {
			p = p[:rest]
		}
		n, err := w.Write(p)
		sent += int64(n)
		if err != nil {
			return err
		}
	}
	return nil
}

// filler is a 64 KiB chunk of one byte.
func filler(b byte) []byte { return bytes.Repeat([]byte{b}, 64<<10) }

// headerLines is a chunk of complete header lines ("X-Hostile-Nnnn: aaa...\r\n"),
// streamed over and over as a header that never ends.
func headerLines() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 60<<10; i++ {
		fmt.Fprintf(&b, "X-Hostile-%04d: %s\r\n", i, strings.Repeat("a", 1000))
	}
	return b.Bytes()
}

// welcome is a welcome frame in JSON that announces max (the attack: up to
// 1 GiB), for a new session or, when req names one, a resume.
func welcome(req *http.Request, max int64) string {
	sid := req.URL.Query().Get("tether_sid")
	if sid != "" {
		return fmt.Sprintf(`["w",{"v":1,"sid":%q,"resumed":true,"ack":0,"hb":25000,"timeout":45000,"ttl":120000,"max":%d,"poll":25000,"transports":["websocket","sse","longpoll"]}]`, sid, max)
	}
	return fmt.Sprintf(`["w",{"v":1,"sid":"hostile","key":"hostile-key","resumed":false,"ack":0,"hb":25000,"timeout":45000,"ttl":120000,"max":%d,"poll":25000,"transports":["websocket","sse","longpoll"]}]`, max)
}

func mode(req *http.Request) string { return req.URL.Query().Get("tether") }

func notFound(c *hostileConn) {
	io.WriteString(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
}

// sseHugeLine welcomes an SSE attach with max = 1 GiB, then sends a 1 GB
// data line.
func sseHugeLine(c *hostileConn, req *http.Request) {
	if mode(req) != "sse" {
		notFound(c)
		return
	}
	head := "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n" +
		"data: " + welcome(req, 1<<30) + "\n\n" + `data: ["m",1,"`
	if _, err := io.WriteString(c, head); err != nil {
		return
	}
	if stream(c, filler('a'), attackBytes) == nil {
		io.WriteString(c, "\"]\n\n")
	}
}

// pollHugeAnswer opens long-polling with max = 1 GiB, then answers the poll
// with a 1 GB body (no Content-Length: it ends when the connection does).
func pollHugeAnswer(c *hostileConn, req *http.Request) {
	switch mode(req) {
	case "poll-open":
		body := "[" + welcome(req, 1<<30) + "]"
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	case "poll":
		if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"+`[["m",1,"`); err != nil {
			return
		}
		if stream(c, filler('a'), attackBytes) == nil {
			io.WriteString(c, `"]]`)
		}
	default:
		notFound(c)
	}
}

// wsEndlessHeader accepts a WebSocket upgrade with 101 and then sends header
// lines that never end.
func wsEndlessHeader(c *hostileConn, req *http.Request) {
	if req.Header.Get("Upgrade") == "" {
		notFound(c)
		return
	}
	if _, err := io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"); err != nil {
		return
	}
	stream(c, headerLines(), attackBytes)
}

// endlessErrorBody answers every request (upgrades included) with a 500
// whose body never ends.
func endlessErrorBody(c *hostileConn, req *http.Request) {
	if _, err := io.WriteString(c, "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"); err != nil {
		return
	}
	stream(c, filler('x'), attackBytes)
}

// httpEndlessHeader answers SSE and long-poll requests with a 200 whose
// header never ends.
func httpEndlessHeader(c *hostileConn, req *http.Request) {
	if req.Header.Get("Upgrade") != "" {
		notFound(c)
		return
	}
	if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"); err != nil {
		return
	}
	stream(c, headerLines(), attackBytes)
}
