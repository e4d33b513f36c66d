package server

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/certs"
	"github.com/tether-sdk/tether/internal/wire"
)

// Benchmarks of the server's WebSocket path against a raw gorilla peer over
// loopback TLS, in one process. allocs/op and B/op count both ends; the
// peer is built to allocate (close to) nothing per message, so they are the
// server's. writes/msg counts write(2) calls on the server's connections
// (under TLS) per echoed message.
//
//	go test -run '^$' -bench 'Server' -benchmem ./server/

// countingListener counts the writes on the connections it accepts.
type countingListener struct {
	net.Listener
	writes atomic.Int64

	mu    sync.Mutex
	conns []*countingConn
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := &countingConn{Conn: c, total: &l.writes}
	l.mu.Lock()
	l.conns = append(l.conns, cc)
	l.mu.Unlock()
	return cc, nil
}

// last is the connection accepted last.
func (l *countingListener) last() *countingConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conns[len(l.conns)-1]
}

type countingConn struct {
	net.Conn
	total  *atomic.Int64
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.total.Add(1)
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// benchRig is a Handler behind a TLS listener that counts writes.
type benchRig struct {
	*rig
	ln *countingListener
}

func newBenchRig(t testing.TB, serve func(*Session), o *Options) *benchRig {
	t.Helper()
	return newCountingRig(t, serve, o, true)
}

// newCountingRig is newBenchRig, over plain TCP unless useTLS: without TLS
// (whose first records are small: dynamic record sizing) a write of the
// server is one write(2), which tests count exactly.
func newCountingRig(t testing.TB, serve func(*Session), o *Options, useTLS bool) *benchRig {
	t.Helper()
	ca, err := certs.NewCA("server bench")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(serve, o)
	srv := httptest.NewUnstartedServer(h)
	ln := &countingListener{Listener: srv.Listener}
	srv.Listener = ln
	r := &rig{t: t, h: h, srv: srv}
	if useTLS {
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}}
		srv.StartTLS()
		r.pool = &tls.Config{RootCAs: ca.Pool()}
	} else {
		srv.Start()
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.Shutdown(ctx)
		srv.Close()
	})
	return &benchRig{rig: r, ln: ln}
}

// helloWS opens a WebSocket and starts a session on it.
func (r *benchRig) helloWS(t testing.TB) *websocket.Conn {
	t.Helper()
	c, _ := r.attachWS(t, &wire.Hello{V: wire.Version})
	return c
}

// dial opens a WebSocket with the tether subprotocol, over TLS or not.
func (r *benchRig) dial(t testing.TB) *websocket.Conn {
	t.Helper()
	if r.pool != nil {
		c, _, err := r.dialWS(nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	d := websocket.Dialer{Subprotocols: []string{wire.Subprotocol}}
	c, _, err := d.Dial("ws"+r.srv.URL[len("http"):]+"/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// attachWS opens a WebSocket and sends hello; it returns the welcome.
func (r *benchRig) attachWS(t testing.TB, hello *wire.Hello) (*websocket.Conn, *wire.Welcome) {
	t.Helper()
	c := r.dial(t)
	wsWrite(t, c, wire.Frame{Kind: wire.KindHello, Hello: hello})
	f := wsRead(t, c)
	if f.Kind != wire.KindWelcome {
		t.Fatalf("got %s, want a welcome", f.Kind)
	}
	return c, f.Welcome
}

// peerWriter writes binary data frames as masked WebSocket frames straight
// to the connection, reusing one buffer: the peer allocates nothing per
// message. The mask key is zero, so the payload goes as it is.
type peerWriter struct {
	conn    net.Conn
	payload []byte
	buf     []byte
	hdr     []byte
}

func (p *peerWriter) frames(from, n uint64) error {
	p.buf = p.buf[:0]
	for s := from; s < from+n; s++ {
		p.hdr = wire.AppendDataHeader(p.hdr[:0], wire.KindBinary, s)
		size := len(p.hdr) + len(p.payload)
		p.buf = append(p.buf, 0x82) // FIN, binary
		switch {
		case size < 126:
			p.buf = append(p.buf, 0x80|byte(size))
		case size < 1<<16:
			p.buf = append(p.buf, 0x80|126, byte(size>>8), byte(size))
		default:
			p.buf = append(p.buf, 0x80|127, 0, 0, 0, 0, byte(size>>24), byte(size>>16), byte(size>>8), byte(size))
		}
		p.buf = append(p.buf, 0, 0, 0, 0) // mask key
		p.buf = append(p.buf, p.hdr...)
		p.buf = append(p.buf, p.payload...)
	}
	_, err := p.conn.Write(p.buf)
	return err
}

// peerReader reads the server's frames, counting data frames, with
// gorilla's NextReader (no allocation per message).
type peerReader struct {
	c   *websocket.Conn
	buf []byte
}

func (p *peerReader) next() (wire.Frame, error) {
	mt, rd, err := p.c.NextReader()
	if err != nil {
		return wire.Frame{}, err
	}
	p.buf = p.buf[:0]
	for {
		if len(p.buf) == cap(p.buf) {
			p.buf = append(p.buf, 0)[:len(p.buf)]
		}
		n, err := rd.Read(p.buf[len(p.buf):cap(p.buf)])
		p.buf = p.buf[:len(p.buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return wire.Frame{}, err
		}
	}
	return wire.ParseWS(mt == websocket.BinaryMessage, p.buf, 0)
}

func benchPayload() []byte {
	p := make([]byte, 1024)
	for i := range p {
		p[i] = byte(i)
	}
	return p
}

// BenchmarkServerEcho: 1 KiB binary messages echoed by a Session over one
// WebSocket. pipelined: 128 in flight; ping-pong: one at a time. The peer
// acks every 64 messages it gets, as PROTOCOL.md 4.4 recommends.
func BenchmarkServerEcho(b *testing.B) {
	b.Run("pipelined", func(b *testing.B) { benchServerEcho(b, 128) })
	b.Run("ping-pong", func(b *testing.B) { benchServerEcho(b, 1) })
}

func benchServerEcho(b *testing.B, window int) {
	r := newBenchRig(b, echo, nil)
	c := r.helloWS(b)
	defer c.Close()
	w := &peerWriter{conn: c.NetConn(), payload: benchPayload()}
	rd := &peerReader{c: c}
	var ackMu sync.Mutex // the reader's acks and the writer's frames share the connection
	got := make(chan struct{}, window+1)
	done := make(chan error, 1)
	go func() {
		var n uint64
		var ack []byte
		for {
			f, err := rd.next()
			if err != nil {
				done <- err
				return
			}
			if f.Kind != wire.KindBinary {
				continue
			}
			n++
			if n%64 == 0 {
				ack = append(append(ack[:0], byte(wire.KindAck)), strconv.FormatUint(n, 10)...)
				ackMu.Lock()
				c.WriteMessage(websocket.TextMessage, ack)
				ackMu.Unlock()
			}
			got <- struct{}{}
		}
	}()
	b.SetBytes(1024)
	b.ReportAllocs()
	b.ResetTimer()
	w0 := r.ln.writes.Load()
	var sent uint64
	inFlight := 0
	for sent < uint64(b.N) {
		k := min(uint64(window-inFlight), uint64(b.N)-sent)
		if k > 0 {
			ackMu.Lock()
			err := w.frames(sent+1, k)
			ackMu.Unlock()
			if err != nil {
				b.Fatal(err)
			}
			sent += k
			inFlight += int(k)
		}
		<-got
		inFlight--
	}
	for ; inFlight > 0; inFlight-- {
		<-got
	}
	b.StopTimer()
	writes := r.ln.writes.Load() - w0
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(writes)/float64(b.N), "writes/msg")
	c.Close()
	<-done
}

// BenchmarkServerReceive: 1 KiB binary messages from the peer, taken by the
// application with Session.Receive; 64 per write of the peer.
func BenchmarkServerReceive(b *testing.B) {
	taken := make(chan struct{}, 1)
	var want atomic.Int64
	sink := func(s *Session) {
		var n int64
		for {
			if _, err := s.Receive(s.Context()); err != nil {
				return
			}
			if n++; n == want.Load() {
				taken <- struct{}{}
			}
		}
	}
	r := newBenchRig(b, sink, nil)
	c := r.helloWS(b)
	defer c.Close()
	go io.Copy(io.Discard, c.NetConn()) // the server's acks (encrypted; nobody reads them)
	w := &peerWriter{conn: c.NetConn(), payload: benchPayload()}
	want.Store(int64(b.N))
	b.SetBytes(1024)
	b.ReportAllocs()
	b.ResetTimer()
	for sent := uint64(0); sent < uint64(b.N); {
		k := min(64, uint64(b.N)-sent)
		if err := w.frames(sent+1, k); err != nil {
			b.Fatal(err)
		}
		sent += k
	}
	<-taken
}

// BenchmarkServerIdle: heap (and stacks) and goroutines per idle
// WebSocket connection, 1,000 connections, both ends in this process: the
// gorilla row is a plain gorilla server (default Upgrader, one goroutine
// reading) with the same peer, so the difference between the rows is the
// server's. The peer runs no goroutine per connection.
func BenchmarkServerIdle(b *testing.B) {
	b.Run("tether", func(b *testing.B) {
		benchIdle(b, func(b *testing.B) (*benchRig, func() *websocket.Conn) {
			r := newBenchRig(b, func(s *Session) { <-s.Context().Done() }, &Options{MaxSessionsPerAddr: -1, NewSessionRate: -1})
			return r, func() *websocket.Conn { return r.helloWS(b) }
		})
	})
	b.Run("gorilla", func(b *testing.B) {
		benchIdle(b, func(b *testing.B) (*benchRig, func() *websocket.Conn) {
			r := newBenchRig(b, nil, nil)
			r.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				up := websocket.Upgrader{Subprotocols: []string{wire.Subprotocol}}
				c, err := up.Upgrade(w, req, nil)
				if err != nil {
					return
				}
				defer c.Close()
				for {
					if _, _, err := c.ReadMessage(); err != nil {
						return
					}
				}
			})
			return r, func() *websocket.Conn {
				c := r.dial(b)
				c.WriteMessage(websocket.TextMessage, []byte("x"))
				return c
			}
		})
	})
}

func benchIdle(b *testing.B, start func(*testing.B) (*benchRig, func() *websocket.Conn)) {
	const conns = 1000
	for range b.N {
		_, dial := start(b)
		heap0, g0 := idleStats()
		cs := make([]*websocket.Conn, 0, conns)
		for range conns {
			cs = append(cs, dial())
		}
		time.Sleep(200 * time.Millisecond) // let every handler reach its idle wait
		heap1, g1 := idleStats()
		b.ReportMetric(float64(heap1-heap0)/conns/1024, "KiB/conn")
		b.ReportMetric(float64(g1-g0)/conns, "goroutines/conn")
		for _, c := range cs {
			c.Close()
		}
	}
}

func idleStats() (heap uint64, goroutines int) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse + ms.StackInuse, runtime.NumGoroutine()
}
