//go:build !js

package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// DefaultHandshakeTimeout bounds a WebSocket dial (TCP, proxy, TLS and
// upgrade) when wsOptions.HandshakeTimeout is zero.
const DefaultHandshakeTimeout = wire.DefaultHandshake

// DefaultReadLimit is the largest WebSocket message accepted when
// wsOptions.ReadLimit is zero.
const DefaultReadLimit = 16 << 20

// wsOptions are the per-dial settings of dialWebSocket. A nil
// *wsOptions means all defaults.
type wsOptions struct {
	// Subprotocols offered to the server, in order of preference. Nil: none.
	Subprotocols []string
	// Header is sent with the upgrade request (Authorization, cookies, ...).
	// It goes only to the target, never to a proxy. An Origin header is added
	// from Config.Origin when Header has none. Nil: none.
	Header http.Header
	// HandshakeTimeout bounds the whole dial. Zero: DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// EnableCompression offers permessage-deflate (no context takeover).
	// Zero: off.
	EnableCompression bool
	// ReadLimit is the largest message the connection will read; a larger one
	// fails the connection. It counts the bytes on the wire: with
	// compression, read with ReadMessage to bound a message after
	// decompression too. Zero: DefaultReadLimit. Negative: no limit.
	ReadLimit int64
	// ReadBufferSize and WriteBufferSize are gorilla's I/O buffer sizes.
	// Zero: 4 KiB each.
	ReadBufferSize, WriteBufferSize int
	// WriteBufferPool shares write buffers between idle connections. Nil: a
	// buffer per connection.
	WriteBufferPool websocket.BufferPool
	// Attach, when it starts a session and has an attempt id, adds
	// tether_attempt to the upgrade URL (PROTOCOL.md 4.8). Zero: the
	// target's URL as it is.
	Attach link.Attach
}

// dialWebSocket opens a WebSocket to the target through the Dialer's proxy
// with its TLS settings. On failure the error is classified (see Classify):
// a *HandshakeError when the server or something on the way answered (or hung
// up right after the request), a *ProxyError, a *PinError, or a TLS or network
// error. The response is returned when there was one (its body is already
// read into the HandshakeError).
//
// It reads at most MaxHandshakeAnswer bytes of the answer to the upgrade; a
// longer one fails with a *LimitError. Once the WebSocket is open,
// wsOptions.ReadLimit bounds each message. The connection's
// UnderlyingConn is a wrapper whose NetConn method returns the *tls.Conn (or
// the TCP connection of a ws:// target).
func (d *Dialer) dialWebSocket(ctx context.Context, o *wsOptions) (*websocket.Conn, *http.Response, error) {
	if o == nil {
		o = &wsOptions{}
	}
	timeout := o.HandshakeTimeout
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	var connected, tlsDone atomic.Bool
	var dialAddr string       // the host:port gorilla dialled
	var capped *handshakeConn // the dialled connection, its reads capped until the upgrade completes
	var cut dialCut           // a cancel's cut of the dialled connection
	scheme := d.target.WS.Scheme
	tlsConfig := d.targetTLS(d.target.Host, []string{"http/1.1"}, &tlsDone)
	wd := &websocket.Dialer{
		Proxy: nil, // Tether's own tunnel below; gorilla's proxy code is never used
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			t0 := time.Now()
			c, err := d.dialVia(ctx, scheme, addr)
			if err != nil {
				return nil, err
			}
			connected.Store(true)
			dialAddr = addr
			cut.dialled(c)
			capped = newHandshakeConn(c, MaxHandshakeAnswer)
			capped.cut = &cut
			capped.wrote = sentHook(o.Attach.Sent, d.noteRTT(time.Since(t0)))
			return capped, nil
		},
		// TLS is done here rather than by gorilla so that the cap counts
		// the answer's bytes, not TLS records and certificates.
		NetDialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			t0 := time.Now()
			c, err := d.dialVia(ctx, scheme, addr)
			if err != nil {
				return nil, err
			}
			t1 := time.Now()
			connected.Store(true)
			dialAddr = addr
			cut.dialled(c)
			// Through a tunnel the last handshake flight goes out with the
			// upgrade request (clientTLS): no stall in a proxy's Nagle.
			tc, err := clientTLS(ctx, c, tlsConfig)
			if err != nil {
				c.Close()
				return nil, err
			}
			capped = newHandshakeConn(tc, MaxHandshakeAnswer)
			capped.cut = &cut
			capped.wrote = sentHook(o.Attach.Sent, d.noteRTT(t1.Sub(t0), time.Since(t1)))
			return capped, nil
		},
		HandshakeTimeout:  timeout,
		Subprotocols:      o.Subprotocols,
		EnableCompression: o.EnableCompression,
		ReadBufferSize:    o.ReadBufferSize,
		WriteBufferSize:   o.WriteBufferSize,
		WriteBufferPool:   o.WriteBufferPool,
	}
	header := o.Header.Clone()
	if d.cfg.Origin != "" && header.Get("Origin") == "" {
		if header == nil {
			header = http.Header{}
		}
		header.Set("Origin", d.cfg.Origin)
	}
	// gorilla bounds the upgrade's answer by a deadline only: a canceled ctx
	// (a negotiation won by another transport, Client.Close) must end a wait
	// for an answer that never comes too.
	stop := context.AfterFunc(ctx, cut.cut)
	conn, resp, err := wd.DialContext(ctx, attemptURL(d.target.WS, o.Attach), header)
	canceled := !stop()
	if err != nil && capped != nil {
		// gorilla's Close of a failed upgrade's connection is deferred
		// to here: the answer may leave it fit for the fallback's request.
		if !canceled && errors.Is(err, websocket.ErrBadHandshake) && !capped.hit && reusableAnswer(resp) {
			d.putSpare(httpScheme(scheme), dialAddr, capped.Conn)
		} else {
			capped.closeNow()
		}
	}
	if canceled {
		// Cut by the cancel (or canceled as the dial succeeded, the
		// deadline perhaps already cut): the cause is ctx's.
		if err == nil {
			conn.Close()
			if capped != nil {
				capped.closeNow() // gorilla's Close comes before lift: a no-op
			}
			conn, err = nil, context.Cause(ctx)
		} else if !errors.Is(err, context.Cause(ctx)) {
			err = fmt.Errorf("%w (%w)", context.Cause(ctx), err)
		}
	}
	if err != nil && capped != nil && capped.hit {
		return nil, resp, &LimitError{
			Transport: "websocket",
			What:      "the server's answer to the upgrade (status line and headers)",
			Limit:     MaxHandshakeAnswer,
			Err:       err,
		}
	}
	if err != nil {
		reachedServer := connected.Load() && (!d.target.Secure || tlsDone.Load())
		return nil, resp, d.wsError(ctx, err, resp, reachedServer)
	}
	if capped != nil {
		capped.lift()
	}
	switch {
	case o.ReadLimit > 0:
		conn.SetReadLimit(o.ReadLimit)
	case o.ReadLimit == 0:
		conn.SetReadLimit(DefaultReadLimit)
	}
	return conn, resp, nil
}

// wsError turns a failed gorilla dial into a classified error.
func (d *Dialer) wsError(ctx context.Context, err error, resp *http.Response, reachedServer bool) error {
	url := d.target.WS.Redacted()
	if resp != nil && errors.Is(err, websocket.ErrBadHandshake) {
		return d.statusError("websocket", url, resp, errBadHandshakeStatus)
	}
	if ctx.Err() != nil {
		return err
	}
	// The connection (and TLS) came up, the request went out, and the
	// connection broke before an answer: a middlebox that kills upgrades.
	if reachedServer && brokenConn(err) {
		return &HandshakeError{Transport: "websocket", URL: url, Class: ClassRefused, Err: err}
	}
	return err
}

// statusError builds the HandshakeError of a non-success HTTP answer, reading
// at most MaxErrorBody bytes of its body.
func (d *Dialer) statusError(transport, url string, resp *http.Response, cause error) *HandshakeError {
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
		resp.Body.Close()
	}
	return &HandshakeError{
		Transport:  transport,
		URL:        url,
		StatusCode: resp.StatusCode,
		Status:     resp.Status,
		Header:     resp.Header,
		Body:       body,
		Class:      ClassifyStatus(resp.StatusCode, d.cfg.ForbiddenIsUnauthorized),
		RetryAfter: RetryAfter(resp.Header, time.Now()),
		Err:        cause,
	}
}

// StatusError returns the classified *HandshakeError for a non-success HTTP
// answer to a request a fallback transport made with HTTPClient. It reads at
// most MaxErrorBody bytes of the body and closes it.
func (d *Dialer) StatusError(transport string, resp *http.Response) *HandshakeError {
	return d.statusError(transport, errorURL(resp.Request.URL), resp, errBadHandshakeStatus)
}

// errorURL is u for an error message: credentials redacted, and without the
// session's id and key (tether_sid, tether_key), which have no place in logs.
func errorURL(u *url.URL) string {
	q := u.Query()
	if !q.Has(wire.ParamSID) && !q.Has(wire.ParamKey) {
		return u.Redacted()
	}
	q.Del(wire.ParamSID)
	q.Del(wire.ParamKey)
	c := *u
	c.RawQuery = q.Encode()
	return c.Redacted()
}

// brokenConn reports errors that mean "the peer closed or reset".
func brokenConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}

// readMessage reads the next message from c, as c.ReadMessage does, but
// holds at most limit bytes of it: gorilla's read limit (SetReadLimit,
// wsOptions.ReadLimit) counts the bytes on the wire, so with
// compression on, a small message can inflate without bound. A message over
// limit bytes once decompressed, or over the wire limit, is a *LimitError
// (the latter wrapping websocket.ErrReadLimit); the connection is then
// unusable and should be closed. limit should be the connection's read
// limit; <= 0 means no bound.
func readMessage(c *websocket.Conn, limit int64) (messageType int, p []byte, err error) {
	return readMessageInto(c, limit, nil)
}

// readMessageInto is readMessage reading into buf's spare capacity (from
// buf[:0]), grown only when the message is larger: a buf of the message's
// size costs no allocation and no copy. The result aliases buf when it fit.
func readMessageInto(c *websocket.Conn, limit int64, buf []byte) (messageType int, p []byte, err error) {
	mt, r, err := c.NextReader()
	if err != nil {
		return mt, nil, readLimitErr(err, limit)
	}
	p, err = readBodyInto(r, limit, buf)
	return mt, p, err
}

// readBodyInto is readMessageInto after NextReader: it reads the message r
// into buf's spare capacity.
func readBodyInto(r io.Reader, limit int64, buf []byte) ([]byte, error) {
	p, err := readAllInto(r, buf[:0], limit)
	if err == nil && limit > 0 && int64(len(p)) > limit {
		return nil, tooLarge(limit, websocket.ErrReadLimit)
	}
	if err != nil {
		return nil, readLimitErr(err, limit)
	}
	return p, nil
}

// readLimitErr is err, or a *LimitError when it is gorilla's read limit
// (over the wire limit, before decompression).
func readLimitErr(err error, limit int64) error {
	if errors.Is(err, websocket.ErrReadLimit) && limit > 0 {
		return tooLarge(limit, err)
	}
	return err
}

// tooLarge is the error of a message over limit bytes.
func tooLarge(limit int64, cause error) error {
	return &LimitError{
		Transport: "websocket",
		What:      "a message",
		Limit:     limit,
		Fix:       "the bound follows the client's largest message: to take larger ones from a trusted server, raise client.Options.MaxMessageBytes",
		Err:       cause,
	}
}

// readAllInto appends r's bytes to p until EOF, reading at most limit+1
// bytes (limit <= 0: no bound). When p is full it first asks r for zero
// bytes, so a message that exactly fills p ends without growing it.
func readAllInto(r io.Reader, p []byte, limit int64) ([]byte, error) {
	for {
		if len(p) == cap(p) {
			if n, err := r.Read(p[len(p):]); n == 0 && err == io.EOF {
				return p, nil
			} else if err != nil {
				return p, err
			}
			p = append(p, 0)[:len(p)] // grow, as io.ReadAll does
		}
		room := p[len(p):cap(p)]
		if limit > 0 && int64(len(p)+len(room)) > limit+1 {
			room = room[:max(limit+1-int64(len(p)), 1)]
		}
		n, err := r.Read(room)
		p = p[:len(p)+n]
		if limit > 0 && int64(len(p)) > limit {
			return p, nil // the caller reports it
		}
		if err == io.EOF {
			return p, nil
		}
		if err != nil {
			return p, err
		}
	}
}
