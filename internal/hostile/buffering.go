package hostile

import (
	"bufio"
	"crypto/tls"
	"net"
	"net/http"
)

// DefaultBufferThreshold is the [Buffering] proxy's default threshold.
const DefaultBufferThreshold = 32 << 10

// BufferingOptions configures a [Buffering] proxy.
type BufferingOptions struct {
	// BackendTLS configures TLS to an https:// backend; nil uses the
	// system defaults.
	BackendTLS *tls.Config
	// TLS, if set, serves the proxy itself over TLS with this certificate.
	TLS *tls.Certificate
	// Threshold is how many body bytes are held back before any are
	// released; default DefaultBufferThreshold (32 KiB).
	Threshold int
	// PassUpgrade keeps Upgrade/Connection/Sec-WebSocket-* request headers
	// (and lets a 101 response switch protocols) instead of stripping them.
	PassUpgrade bool
}

// Buffering is a reverse proxy in front of one backend that, like a
// buffering corporate proxy, holds every response back until the body
// completes or Threshold bytes have accumulated, then releases that chunk
// and starts buffering again. X-Accel-Buffering is ignored. The response
// header travels with the first released chunk. Complete bodies (long-poll
// answers) pass unharmed; an SSE stream of small events stalls. Upgrade
// headers are stripped unless PassUpgrade is set.
type Buffering struct{ r *reverse }

// NewBuffering starts a Buffering proxy on 127.0.0.1:0 in front of backend,
// an http:// or https:// base URL.
func NewBuffering(backend string, opts BufferingOptions) (*Buffering, error) {
	n := opts.Threshold
	if n <= 0 {
		n = DefaultBufferThreshold
	}
	r, err := newReverse(reverseConfig{
		backend:    backend,
		backendTLS: opts.BackendTLS,
		cert:       opts.TLS,
		strip:      !opts.PassUpgrade,
		buffer:     n,
	})
	if err != nil {
		return nil, err
	}
	return &Buffering{r: r}, nil
}

// Addr returns the proxy's host:port.
func (b *Buffering) Addr() string { return b.r.addr() }

// URL returns the proxy's base URL, http:// or https:// when serving TLS.
func (b *Buffering) URL() string { return b.r.url() }

// Requests returns how many requests the proxy has received.
func (b *Buffering) Requests() int64 { return b.r.requests.Load() }

// Stripped returns how many requests arrived asking for an upgrade and had
// it removed.
func (b *Buffering) Stripped() int64 { return b.r.stripped.Load() }

// Close stops the proxy, severs every connection and waits for its
// goroutines.
func (b *Buffering) Close() error { return b.r.close() }

// bufferWriter holds a response back: the status line and header go out
// with the first n body bytes (or at the end), and the body is released in
// n-byte chunks, each flushed. Flushes requested by the reverse proxy (which
// always streams) are swallowed.
type bufferWriter struct {
	w    http.ResponseWriter
	n    int
	buf  []byte
	code int  // pending final status, 0 if none yet
	sent bool // header written to w
}

func (b *bufferWriter) Header() http.Header { return b.w.Header() }

func (b *bufferWriter) WriteHeader(code int) {
	if code < 200 { // informational responses pass at once
		b.w.WriteHeader(code)
		return
	}
	if b.code == 0 {
		b.code = code
	}
}

func (b *bufferWriter) Write(p []byte) (int, error) {
	if b.code == 0 {
		b.code = http.StatusOK
	}
	written := 0
	for len(p) > 0 {
		k := min(b.n-len(b.buf), len(p))
		b.buf = append(b.buf, p[:k]...)
		p, written = p[k:], written+k
		if len(b.buf) >= b.n {
			if err := b.release(true); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// release sends the header if pending and the buffered bytes, flushing them
// to the client if flush is set.
func (b *bufferWriter) release(flush bool) error {
	if !b.sent {
		b.sent = true
		b.w.WriteHeader(b.code)
	}
	if len(b.buf) > 0 {
		_, err := b.w.Write(b.buf)
		b.buf = b.buf[:0]
		if err != nil {
			return err
		}
	}
	if flush {
		return http.NewResponseController(b.w).Flush()
	}
	return nil
}

// finish sends whatever is still held once the response is complete.
func (b *bufferWriter) finish() {
	if b.code != 0 {
		b.release(false)
	}
}

// Flush is swallowed: the proxy decides when bytes leave.
func (b *bufferWriter) Flush() {}

// FlushError is swallowed like Flush.
func (b *bufferWriter) FlushError() error { return nil }

// Hijack lets a passed-through upgrade take over the connection.
func (b *bufferWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(b.w).Hijack()
}
