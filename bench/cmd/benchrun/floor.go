package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"time"

	"github.com/tether-sdk/tether/bench/internal/rig"
	"github.com/tether-sdk/tether/bench/internal/srv"
)

// runFloor measures what a refused upgrade costs a client that does nothing
// but the exchange itself, as the floor under row 3's refused-versus-SSE
// target: -runs pairs of connects on raw TLS (one shared session cache, as
// Tether's clients of one process share theirs), alternating like
// `benchrun connect -burl`:
//
//   - direct: TLS, the SSE attach request, read until the welcome event;
//   - refused: TLS, a WebSocket upgrade (the headers gorilla sends for
//     Tether) answered 400, its body read, then the same SSE attach on the
//     same connection, read until the welcome event.
//
// It prints a PairResult (A: refused, B: direct), ConnectedMs being the
// time from the dial until the welcome event was read.
func runFloor(args []string) {
	fs := flag.NewFlagSet("floor", flag.ExitOnError)
	base, certs := commonFlags(fs)
	runs := fs.Int("runs", 100, "pairs")
	fs.Parse(args)
	pool, err := rig.Pool(*certs)
	if err != nil {
		log.Fatal(err)
	}
	u, err := url.Parse(*base)
	if err != nil {
		log.Fatal(err)
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: u.Hostname(), NextProtos: []string{"http/1.1"},
		ClientSessionCache: tls.NewLRUClientSessionCache(0)}
	f := &floorClient{cfg: cfg, addr: u.Host,
		upgrade: []byte("GET " + srv.TetherRefuse + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUser-Agent: Go-http-client/1.1\r\n" +
			"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: tether.v1\r\n" +
			"Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n\r\n"),
		sse: func(path string) []byte {
			return []byte("GET " + path + "?tether=sse&tether_v=1 HTTP/1.1\r\nHost: " + u.Host + "\r\n" +
				"User-Agent: Go-http-client/1.1\r\nAccept: text/event-stream\r\nAccept-Encoding: identity\r\n\r\n")
		}}
	p := PairResult{A: ConnectResult{Lib: "raw TLS", Runs: *runs}, B: ConnectResult{Lib: "raw TLS", Runs: *runs}}
	refused := func() { p.A.ConnectedMs = append(p.A.ConnectedMs, f.once(true)) }
	direct := func() { p.B.ConnectedMs = append(p.B.ConnectedMs, f.once(false)) }
	for i := 0; i < *runs; i++ {
		if i%2 == 0 {
			refused()
			direct()
		} else {
			direct()
			refused()
		}
	}
	rig.WriteJSON(p)
}

type floorClient struct {
	cfg     *tls.Config
	addr    string
	upgrade []byte
	sse     func(path string) []byte
}

// once makes one connect and returns its time in ms. A refused connect
// sends its SSE attach to the refusing endpoint, which serves SSE (as the
// Tether client does after the 400).
func (f *floorClient) once(refuse bool) float64 {
	t0 := time.Now()
	c, err := tls.Dial("tcp", f.addr, f.cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	path := srv.TetherEcho
	if refuse {
		path = srv.TetherRefuse
		if _, err := c.Write(f.upgrade); err != nil {
			log.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			log.Fatalf("floor: the upgrade got %s, not 400", resp.Status)
		}
	}
	if _, err := c.Write(f.sse(path)); err != nil {
		log.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		log.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		log.Fatalf("floor: the SSE attach got %s", resp.Status)
	}
	// The welcome is the first event: read until its blank line.
	for {
		line, err := readLine(resp.Body)
		if err != nil {
			log.Fatalf("floor: reading the welcome: %v", err)
		}
		if len(line) == 0 {
			break
		}
		if !bytes.HasPrefix(line, []byte("data: [\"w\"")) && !bytes.HasPrefix(line, []byte(":")) {
			log.Fatalf("floor: not a welcome: %q", fmt.Sprintf("%.80s", line))
		}
	}
	return float64(time.Since(t0)) / 1e6
}

// readLine reads one line of the body (a byte at a time: the body reader
// is already buffered).
func readLine(r io.Reader) ([]byte, error) {
	var line []byte
	b := make([]byte, 1)
	for {
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		if b[0] == '\n' {
			return bytes.TrimSuffix(line, []byte("\r")), nil
		}
		line = append(line, b[0])
	}
}
