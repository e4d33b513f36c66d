//go:build !js

package transport

import (
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"
)

// A refused upgrade (a proxy that dropped the Upgrade header, a server
// that answers 400) leaves a connection that can carry the fallback's
// first request: the TCP connection, the proxy's tunnel and the TLS
// session are already there, and their round trips need not be paid
// again. dialWebSocket keeps such a connection as the Dialer's spare when
// the answer allows it (reusableAnswer); the HTTP client's dial takes it
// before opening a new one. There is at most one spare, for this Dialer's
// target only (one target, one TLS configuration, pins checked in its
// handshake), closed when not taken within SpareWait.
//
// The server may close a spare meanwhile (an idle timeout, a change of
// mind). That must cost the fallback neither an error nor a wait: the
// spare is checked without waiting before it is given out (idleAlive: a
// closed one is dropped and a fresh connection dialled), and a request
// that fails on it before any answer (the server closed it as the request
// went out) is sent again, once, on a fresh connection (spareRetry).

// SpareWait is how long a spare connection waits for the fallback's request.
const SpareWait = time.Second

// maxSpareBody is the largest body of a refusal whose connection is kept:
// gorilla reads 1024 bytes of a failed upgrade's answer, so a body within
// that has been read to its end and the connection is at a message boundary.
const maxSpareBody = 1024

// spareSlot holds the Dialer's spare connection.
type spareSlot struct {
	mu    sync.Mutex
	key   string // scheme ("http" or "https") and host:port it was dialled for
	conn  net.Conn
	timer *time.Timer
	lent  net.Conn // the last spare given out, until its first request (spareRetry)
	dead  int      // spares found closed when taken, and dropped
}

// reusableAnswer reports an answer to a refused upgrade after which the
// connection may carry another request: HTTP/1.1 or later, no
// "Connection: close", no other protocol, and a body delimited by its
// Content-Length and small enough to have been read whole.
func reusableAnswer(resp *http.Response) bool {
	return resp != nil && resp.ProtoAtLeast(1, 1) && !resp.Close && resp.StatusCode >= 400 &&
		len(resp.TransferEncoding) == 0 && resp.ContentLength >= 0 && resp.ContentLength <= maxSpareBody
}

// putSpare keeps c, a connection to addr for scheme (http or https) at a
// message boundary, as the spare, closing any earlier one.
func (d *Dialer) putSpare(scheme, addr string, c net.Conn) {
	if err := c.SetDeadline(time.Time{}); err != nil {
		c.Close()
		return
	}
	s := &d.spare
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.timer.Stop()
		s.conn.Close()
	}
	s.key, s.conn = scheme+" "+addr, c
	s.timer = time.AfterFunc(SpareWait, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.conn == c {
			s.conn.Close()
			s.conn = nil
		}
	})
}

// takeSpare returns the spare connection to addr for scheme, nil when
// there is none or the server closed it (it is then closed here).
func (d *Dialer) takeSpare(scheme, addr string) net.Conn {
	s := &d.spare
	s.mu.Lock()
	if s.conn == nil || s.key != scheme+" "+addr {
		s.mu.Unlock()
		return nil
	}
	c := s.conn
	s.conn = nil
	s.timer.Stop()
	s.mu.Unlock()
	if !idleAlive(c) {
		c.Close()
		s.mu.Lock()
		s.dead++
		s.mu.Unlock()
		return nil
	}
	s.mu.Lock()
	s.lent = c
	s.mu.Unlock()
	return c
}

// spareWaiting reports whether a spare waits to be taken.
func (d *Dialer) spareWaiting() bool {
	s := &d.spare
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn != nil
}

// lentSpare reports whether c is the spare last given out, and forgets
// it: it is asked once, when the connection carries its first request.
func (d *Dialer) lentSpare(c net.Conn) bool {
	s := &d.spare
	s.mu.Lock()
	defer s.mu.Unlock()
	if c == nil || c != s.lent {
		return false
	}
	s.lent = nil
	return true
}

// spareRetry is the HTTP client's RoundTripper. A request that failed on
// a spare's first use with no answer (no byte of one) is sent again, once,
// on another connection (the spare is gone: a fresh one, or an idle one
// of the pool), when its body can be had again (GetBody): the server
// closed the spare as the request went out, which is no failure of the
// request's. net/http retries such requests by itself only on connections
// that carried a request before. Requests made while no spare waits go
// straight through.
type spareRetry struct {
	*http.Transport
	d *Dialer
}

func (t *spareRetry) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.d.spareWaiting() {
		return t.Transport.RoundTrip(req) // the usual case: no tracing, no copy of req
	}
	var onSpare, answered atomic.Bool
	trace := &httptrace.ClientTrace{
		GotConn:              func(i httptrace.GotConnInfo) { onSpare.Store(!i.Reused && t.d.lentSpare(i.Conn)) },
		GotFirstResponseByte: func() { answered.Store(true) },
	}
	resp, err := t.Transport.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err == nil || !onSpare.Load() || answered.Load() || req.Context().Err() != nil {
		return resp, err
	}
	again := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return resp, err
		}
		body, gerr := req.GetBody()
		if gerr != nil {
			return resp, err
		}
		again.Body = body
	}
	return t.Transport.RoundTrip(again)
}

// HTTPTransport returns the *http.Transport below: its TLS dial is the
// dialing layer's (tether pin uses it).
func (t *spareRetry) HTTPTransport() *http.Transport { return t.Transport }

// httpScheme is the HTTP scheme of a WebSocket one.
func httpScheme(ws string) string {
	if ws == "wss" {
		return "https"
	}
	return "http"
}
