//go:build js && wasm

package fallback

import (
	"context"
	"io"
	"net/url"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/tether-sdk/tether/internal/jsutil"
	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/urlx"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/internal/xfmt"
	"github.com/tether-sdk/tether/transport"
)

// Body limits of PROTOCOL.md section 14, as the native fallback links have them.
const (
	maxBodyFrames  = 1024
	maxBatchFrames = 1 << 16
)

// requester makes the fetch requests of one SSE or long-poll link.
type requester struct {
	name     string // wire.TransportSSE or wire.TransportPoll
	base     url.URL
	appQuery string
	header   transport.Header

	sid, key string
	max      int64
	timeout  time.Duration
}

func newRequester(name string, t *transport.Target, header transport.Header, max int, a link.Attach) *requester {
	return &requester{
		name: name, base: *t.HTTP, appQuery: stripTetherParams(t.HTTP.RawQuery), header: header,
		sid: a.SID, key: a.Key, max: int64(max), timeout: defaultTimeout,
	}
}

func (r *requester) welcomed(w *wire.Welcome) {
	r.sid = w.SID
	if w.Key != "" {
		r.key = w.Key
	}
	if w.Max > 0 {
		r.max = min(w.Max, maxPayloadCap)
	}
	r.timeout = millis(w.Timeout, defaultTimeout)
}

// tetherParams are the query parameters the links set; the application's
// URL must not carry its own (tether_key above all: the key never goes in
// the URL).
var tetherParams = map[string]bool{
	wire.ParamMode: true, wire.ParamVersion: true, wire.ParamSID: true,
	wire.ParamAck: true, wire.ParamKey: true,
}

// stripTetherParams drops Tether's own parameters from an application query.
func stripTetherParams(q string) string {
	if q == "" {
		return ""
	}
	var keep []string
	for _, part := range strings.Split(q, "&") {
		name, _, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil && tetherParams[n] {
			continue
		}
		keep = append(keep, part)
	}
	return strings.Join(keep, "&")
}

func (r *requester) url(mode string, withAck bool, ack uint64) string {
	q := r.appQuery
	add := func(name, value string) {
		if q != "" {
			q += "&"
		}
		q += name + "=" + url.QueryEscape(value)
	}
	add(wire.ParamMode, mode)
	add(wire.ParamVersion, strconv.Itoa(wire.Version))
	if r.sid != "" {
		add(wire.ParamSID, r.sid)
	}
	if withAck {
		add(wire.ParamAck, strconv.FormatUint(ack, 10))
	}
	u := r.base
	u.RawQuery = q
	u.ForceQuery = false
	return u.String()
}

// response is a fetch answer with a streamed body.
type response struct {
	status      int
	statusText  string
	contentType string
	url         string
	body        *bodyReader
}

// fetch makes one request. ctx covers the request and the reading of the
// body: when it ends, the request is aborted. A non-2xx answer is an error
// (a *transport.HandshakeError, in a *link.ServerError when its body is a
// Tether error object); the body is then read and released.
func (r *requester) fetch(ctx context.Context, method, mode string, withAck bool, ack uint64, body []byte) (*response, error) {
	u := r.url(mode, withAck, ack)
	ctrl := js.Global().Get("AbortController").New()
	stop := context.AfterFunc(ctx, func() { ctrl.Call("abort") })
	h := js.Global().Get("Headers").New()
	for k, vs := range r.header {
		if transport.CanonicalHeaderKey(k) == wire.HeaderKey || strings.EqualFold(k, "Origin") {
			continue // the browser sets Origin; the key is ours
		}
		for _, v := range vs {
			h.Call("append", k, v)
		}
	}
	if r.key != "" {
		h.Call("set", wire.HeaderKey, r.key)
	}
	switch {
	case mode == wire.ModeSSE:
		h.Call("set", "Accept", "text/event-stream")
	case method == "GET":
		h.Call("set", "Accept", "application/json")
	default:
		h.Call("set", "Content-Type", "application/json")
	}
	init := map[string]any{
		"method": method, "headers": h, "signal": ctrl.Get("signal"),
		"cache": "no-store", "credentials": "same-origin", "redirect": "follow",
	}
	if body != nil {
		init["body"] = jsutil.BytesToJS(body)
	}
	var p js.Value
	if err := jsutil.Catch(func() { p = js.Global().Call("fetch", u, js.ValueOf(init)) }); err != nil {
		stop()
		return nil, xfmt.Errorf("fallback: %s: %w", r.name, err)
	}
	v, err := jsutil.Await(ctx, p)
	if cause := context.Cause(ctx); cause != nil {
		stop()
		if err == nil {
			jsutil.Catch(func() { v.Get("body").Call("cancel") })
		}
		return nil, cause
	}
	if err != nil {
		stop()
		return nil, xfmt.Errorf("fallback: %s: %s %s: %w", r.name, method, mode, err)
	}
	resp := &response{
		status: v.Get("status").Int(), statusText: v.Get("statusText").String(),
		contentType: v.Get("headers").Call("get", "Content-Type").String(), url: redacted(u),
	}
	resp.body = &bodyReader{ctx: ctx, stop: stop}
	if b := v.Get("body"); b.Truthy() {
		resp.body.reader = b.Call("getReader")
	} else {
		resp.body.err = io.EOF
	}
	if resp.status < 200 || resp.status > 299 {
		defer resp.body.Close()
		return nil, r.answerError(resp, v.Get("headers").Call("get", "Retry-After"))
	}
	return resp, nil
}

func redacted(raw string) string {
	u, err := urlx.Parse(raw) // not url.Parse, whose errors pull fmt into the bundle
	if err != nil {
		return raw
	}
	return u.Redacted()
}

// answerError classifies a non-2xx answer as the native links do.
func (r *requester) answerError(resp *response, retryAfter js.Value) error {
	b, _ := io.ReadAll(io.LimitReader(resp.body, transport.MaxErrorBody))
	he := &transport.HandshakeError{
		Transport:  r.name,
		URL:        resp.url,
		StatusCode: resp.status,
		Status:     strings.TrimSpace(strconv.Itoa(resp.status) + " " + resp.statusText),
		Body:       b,
		Class:      transport.ClassifyStatus(resp.status, false),
	}
	if retryAfter.Type() == js.TypeString {
		he.RetryAfter = transport.RetryAfter(transport.Header{"Retry-After": {retryAfter.String()}}, time.Now())
	}
	if e, ok := parseErrorObject(b); ok {
		return &link.ServerError{Transport: r.name, Answer: *e, Err: he}
	}
	return he
}

// notTether is a success answer that is not Tether's (a captive portal, a
// misrouted request).
func (r *requester) notTether(resp *response, cause error) error {
	return &transport.HandshakeError{Transport: r.name, URL: resp.url, StatusCode: resp.status,
		Status: strconv.Itoa(resp.status) + " " + resp.statusText, Class: transport.ClassRefused, Err: cause}
}

// frameError is an error frame inside a successful answer.
func (r *requester) frameError(resp *response, e *wire.Error) error {
	status := e.Status
	if status == 0 {
		status = wire.StatusOf(e.Code)
	}
	if status == 0 {
		status = 500
	}
	he := &transport.HandshakeError{Transport: r.name, URL: resp.url, StatusCode: resp.status,
		Status: strconv.Itoa(resp.status) + " " + resp.statusText,
		Class:  transport.ClassifyStatus(status, false), Err: xfmt.Errorf("error frame %q", e.Code)}
	return &link.ServerError{Transport: r.name, Answer: *e, Err: he}
}

// roundTrip makes a request whose answer is one JSON batch and returns its
// frames.
func (r *requester) roundTrip(ctx context.Context, method, mode string, withAck bool, ack uint64, body []byte) (*response, []wire.Frame, error) {
	resp, err := r.fetch(ctx, method, mode, withAck, ack, body)
	if err != nil {
		return nil, nil, err
	}
	defer resp.body.Close()
	limit := bodyLimit(r.max)
	b, err := io.ReadAll(io.LimitReader(resp.body, limit+1))
	switch cause := context.Cause(ctx); {
	case cause != nil:
		return nil, nil, cause
	case err != nil:
		return nil, nil, xfmt.Errorf("fallback: %s: reading the %s answer: %w", r.name, mode, err)
	case int64(len(b)) > limit:
		return nil, nil, xfmt.Errorf("fallback: %s: the %s answer is over %d bytes: %w", r.name, mode, limit, wire.ErrTooLarge)
	}
	frames, err := wire.ParseJSONBatch(b, maxBatchFrames, int(r.max))
	if err != nil {
		return resp, nil, r.notTether(resp, xfmt.Errorf("fallback: %s: the %s answer: %w", r.name, mode, err))
	}
	return resp, frames, nil
}

// send POSTs frames in as many bodies as the limits need, one after
// another, and returns the answers' frames (also those before a failure).
// Each answer must come within the welcome's timeout.
func (r *requester) send(ctx context.Context, frames []wire.Frame) ([]wire.Frame, error) {
	var answers []wire.Frame
	limit := bodyLimit(r.max)
	var body []byte
	for i := 0; i < len(frames); {
		body = append(body[:0], '[')
		for n := 0; i < len(frames) && n < maxBodyFrames; i, n = i+1, n+1 {
			mark := len(body)
			if n > 0 {
				body = append(body, ',')
			}
			var err error
			if body, err = wire.AppendJSON(body, &frames[i]); err != nil {
				return answers, xfmt.Errorf("fallback: %s: cannot send frame %d: %w", r.name, i, err)
			}
			if n > 0 && int64(len(body))+1 > limit {
				body = body[:mark]
				break
			}
		}
		body = append(body, ']')
		pctx, cancel := context.WithTimeoutCause(ctx, r.timeout, errSilent(r.name, "no answer to a send", r.timeout))
		_, got, err := r.roundTrip(pctx, "POST", wire.ModeSend, false, 0, body)
		cancel()
		for _, f := range got {
			switch f.Kind {
			case wire.KindAck, wire.KindPong, wire.KindClose:
			default:
				return answers, malformedf(r.name, "a %s frame in a send answer", f.Kind)
			}
		}
		answers = append(answers, got...)
		if err != nil {
			return answers, err
		}
	}
	return answers, nil
}

// checkWelcome checks that the first frame of an attach is a welcome that
// fits the attach.
func (r *requester) checkWelcome(resp *response, f wire.Frame, a link.Attach) (*wire.Welcome, error) {
	if f.Kind == wire.KindError {
		return nil, r.frameError(resp, f.Error)
	}
	var why string
	switch w := f.Welcome; {
	case f.Kind != wire.KindWelcome:
		why = "the first frame is " + f.Kind.String() + ", not a welcome"
	case w.V != wire.Version:
		why = xfmt.Sprintf("the welcome is for version %d", w.V)
	case a.SID != "" && w.SID != a.SID:
		why = "the welcome is for another session"
	case a.SID == "" && w.Key == "":
		why = "the welcome of a new session has no key"
	}
	if why != "" {
		return nil, r.notTether(resp, malformedf(r.name, "%s", why))
	}
	return f.Welcome, nil
}

// bodyReader reads a fetch body through its ReadableStream reader, one
// chunk at a time: the stream's own backpressure applies while nobody
// reads. onData, when set, is called for every chunk (liveness).
type bodyReader struct {
	ctx    context.Context
	stop   func() bool // ends the ctx -> abort link
	reader js.Value
	buf    []byte
	err    error
	onData func()
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
		if b.onData != nil {
			b.onData()
		}
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
