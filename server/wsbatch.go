package server

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// batchFlushBytes is what a batching connection holds before it writes
// early: four TLS records of 16 KiB.
const batchFlushBytes = 64 << 10

// batchBufMax is the largest buffer returned to batchBufs (a batch of big
// messages allocates its own and drops it).
const batchBufMax = 2 * batchFlushBytes

// batchBufs holds the buffers of batching connections between batches: an
// idle connection holds none.
var batchBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// wsWriteBufs is gorilla's write buffer pool (WriteBufferPool): a
// connection holds a write buffer only while it writes one message.
var wsWriteBufs websocket.BufferPool = &sync.Pool{}

// batchConn is the net.Conn under a server WebSocket. Between hold and
// flush it keeps what gorilla writes (whole frames) and writes it in one
// Write: the frames of a batch go out in one write(2) (and, under TLS, as
// few records as their size allows) instead of one per message. Outside a
// batch (the handshake, control frames gorilla writes from the reader) it
// writes through.
type batchConn struct {
	net.Conn
	mu      sync.Mutex
	holding bool
	buf     *[]byte      // from batchBufs while holding; nil otherwise
	cutAt   atomic.Int64 // with cut: no write deadline later than this (Unix ns); 0: none
}

// cut bounds every write from now on, one in progress included, to d: the
// session moved to another connection (superseded), so a write this one is
// blocked in (a client that stopped reading, a frozen path) ends then, not
// after a whole WriteTimeout. It does not wait for a flush in progress.
func (c *batchConn) cut(d time.Duration) {
	at := time.Now().Add(d)
	c.cutAt.Store(at.UnixNano())
	c.Conn.SetWriteDeadline(at)
}

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.holding {
		return c.Conn.Write(p)
	}
	if len(p) >= batchFlushBytes {
		// A large message (gorilla hands its payload over unbuffered): what
		// is held goes first, then the payload as it is, not copied.
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		return c.Conn.Write(p)
	}
	if c.buf == nil {
		c.buf = batchBufs.Get().(*[]byte)
	}
	*c.buf = append(*c.buf, p...)
	if len(*c.buf) >= batchFlushBytes {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// SetWriteDeadline waits for a flush in progress: gorilla sets the deadline
// of a control frame it writes from the reader (a pong, the close reply)
// without the writer's lock, and must not cut a batch's write short.
func (c *batchConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := c.cutAt.Load(); n != 0 {
		if at := time.Unix(0, n); t.IsZero() || t.After(at) {
			t = at
		}
	}
	return c.Conn.SetWriteDeadline(t)
}

// hold starts a batch: writes are kept until flush.
func (c *batchConn) hold() {
	c.mu.Lock()
	c.holding = true
	c.mu.Unlock()
}

// flush writes what the batch holds, in one Write, and ends the batch.
func (c *batchConn) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holding = false
	err := c.flushLocked()
	if c.buf != nil {
		if cap(*c.buf) <= batchBufMax {
			batchBufs.Put(c.buf)
		}
		c.buf = nil
	}
	return err
}

func (c *batchConn) flushLocked() error {
	if c.buf == nil || len(*c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(*c.buf)
	*c.buf = (*c.buf)[:0]
	return err
}

// batchHijacker gives gorilla's Upgrader a batchConn around the hijacked
// connection.
type batchHijacker struct {
	http.ResponseWriter
	conn *batchConn
}

func (h *batchHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &batchConn{Conn: c}
	return h.conn, brw, nil
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (h *batchHijacker) Unwrap() http.ResponseWriter { return h.ResponseWriter }
