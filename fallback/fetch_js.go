//go:build js && wasm

package fallback

import (
	"context"
	"io"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/tether-sdk/tether/internal/jsutil"
	"github.com/tether-sdk/tether/internal/urlx"
	"github.com/tether-sdk/tether/internal/xfmt"
	"github.com/tether-sdk/tether/transport"
)

// fetcher is the browser's exchanger: every request is a fetch with an
// AbortController, its body read as a stream.
type fetcher struct{}

func newExchanger(*transport.Dialer) exchanger { return fetcher{} }

// exchange makes one fetch. The browser cannot tell when the request is
// written: q.wrote is called as fetch is called.
func (fetcher) exchange(ctx context.Context, q *request) (*answer, error) {
	ctrl := js.Global().Get("AbortController").New()
	stop := context.AfterFunc(ctx, func() { ctrl.Call("abort") })
	h := js.Global().Get("Headers").New()
	for k, vs := range q.header {
		switch {
		case strings.EqualFold(k, "Origin"): // the browser sets it
			continue
		case strings.EqualFold(k, "Cache-Control"): // cache: no-store below, without a preflight for it
			continue
		}
		for _, v := range vs {
			h.Call("append", k, v)
		}
	}
	init := map[string]any{
		"method": q.method, "headers": h, "signal": ctrl.Get("signal"),
		"cache": "no-store", "credentials": "same-origin", "redirect": "follow",
	}
	if q.body != nil {
		init["body"] = jsutil.BytesToJS(q.body)
	}
	if q.wrote != nil {
		q.wrote()
	}
	var p js.Value
	if err := jsutil.Catch(func() { p = js.Global().Call("fetch", q.url, js.ValueOf(init)) }); err != nil {
		stop()
		return nil, xfmt.Errorf("fallback: %s: %w", q.name, err)
	}
	v, err := jsutil.Await(ctx, p)
	if err != nil {
		stop()
		return nil, xfmt.Errorf("fallback: %s: %s: %w", q.name, q.method, err)
	}
	resp := &answer{
		status:     v.Get("status").Int(),
		statusLine: strings.TrimSpace(strconv.Itoa(v.Get("status").Int()) + " " + v.Get("statusText").String()),
		header:     transport.Header{},
		url:        redacted(q.url),
		length:     -1,
	}
	for _, k := range []string{"Content-Type", "Retry-After"} {
		if hv := v.Get("headers").Call("get", k); hv.Type() == js.TypeString {
			resp.header.Set(k, hv.String())
		}
	}
	body := &bodyReader{ctx: ctx, stop: stop}
	if b := v.Get("body"); b.Truthy() {
		body.reader = b.Call("getReader")
	} else {
		body.err = io.EOF
	}
	resp.body = body
	if resp.status < 200 || resp.status > 299 {
		defer body.Close()
		return nil, statusError(q.name, resp)
	}
	return resp, nil
}

// statusError classifies a non-2xx answer as the native Dialer does, with
// a bounded part of its body. The caller closes the body.
func statusError(name string, resp *answer) *transport.HandshakeError {
	b, _ := io.ReadAll(io.LimitReader(resp.body, transport.MaxErrorBody))
	return &transport.HandshakeError{
		Transport:  name,
		URL:        resp.url,
		StatusCode: resp.status,
		Status:     resp.statusLine,
		Header:     resp.header,
		Body:       b,
		Class:      transport.ClassifyStatus(resp.status, false),
		RetryAfter: transport.RetryAfter(resp.header, time.Now()),
	}
}

func redacted(raw string) string {
	u, err := urlx.Parse(raw) // not url.Parse, whose errors pull fmt into the bundle
	if err != nil {
		return raw
	}
	return u.Redacted()
}

// bodyReader reads a fetch body through its ReadableStream reader, one
// chunk at a time: the stream's own backpressure applies while nobody
// reads.
type bodyReader struct {
	ctx    context.Context
	stop   func() bool // ends the ctx -> abort link
	reader js.Value
	buf    []byte
	err    error
	closed bool
}

func (b *bodyReader) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		v, err := jsutil.Await(b.ctx, b.reader.Call("read"))
		if err != nil {
			b.err = err
			return 0, err
		}
		if v.Get("done").Bool() {
			b.err = io.EOF
			return 0, io.EOF
		}
		b.buf = jsutil.BytesFromJS(v.Get("value"))
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

// Close cancels the rest of the body.
func (b *bodyReader) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if b.reader.Truthy() {
		jsutil.Catch(func() { b.reader.Call("cancel").Call("catch", js.Global().Get("Boolean")) })
	}
	b.stop()
	return nil
}
