package fallback

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/urlx"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/internal/xfmt"
	"github.com/tether-sdk/tether/transport"
)

// Body limits of PROTOCOL.md section 14.
const (
	maxBodyFrames  = 1024    // frames in one send body
	maxBatchFrames = 1 << 16 // frames accepted in one answer (servers send at most 1024)
)

// requester makes the HTTP requests of one link: one URL, one session.
type requester struct {
	name     string // wire.TransportSSE or wire.TransportPoll
	io       exchanger
	header   func() transport.Header
	log      link.Logger
	base     targetURL // the target's HTTP URL
	appQuery string    // its raw query, Tether's parameters removed

	// Session, set by the attach; not changed once the link is running.
	sid, key string
	attempt  string        // a new-session attach's id (tether_attempt), until the welcome names the session
	own      int64         // dialOptions.MaxMessage: the client's payload bound, never exceeded
	max      int64         // payload bound: own, then the smaller of own and the welcome's max
	timeout  time.Duration // the welcome's timeout: bounds a send's answer
}

func newRequester(c *config, name string, a link.Attach) *requester {
	t := c.target
	return &requester{
		name:     name,
		io:       c.io,
		header:   c.header,
		log:      c.log,
		base:     *t.HTTP,
		appQuery: stripTetherParams(t.HTTP.RawQuery),
		sid:      a.SID,
		key:      a.Key,
		attempt:  a.Attempt,
		own:      c.max,
		max:      c.max,
		timeout:  defaultTimeout,
	}
}

// welcomed takes the session's parameters from the welcome w of a new
// session or a resume. The welcome's max can lower the payload bound, never
// raise it above the client's own: a server cannot make the client read
// more than dialOptions.MaxMessage allows.
func (r *requester) welcomed(w *wire.Welcome) {
	r.sid = w.SID
	if w.Key != "" {
		r.key = w.Key
	}
	if w.Max > 0 {
		r.max = min(w.Max, r.own)
	}
	r.timeout = millis(w.Timeout, defaultTimeout)
}

// tetherParams are the query parameters this package sets; any the
// application's URL carries are dropped (tether_key above all: the key
// never goes in the URL).
var tetherParams = map[string]bool{
	wire.ParamMode: true, wire.ParamVersion: true, wire.ParamSID: true,
	wire.ParamAck: true, wire.ParamKey: true, wire.ParamHold: true,
}

// stripTetherParams returns the raw query q without Tether's parameters,
// the application's own left byte for byte as they were.
func stripTetherParams(q string) string {
	if q == "" {
		return ""
	}
	keep := make([]string, 0, strings.Count(q, "&")+1)
	for _, part := range strings.Split(q, "&") {
		name, _, _ := strings.Cut(part, "=")
		if n, err := urlx.QueryUnescape(name); err == nil && tetherParams[n] {
			continue
		}
		keep = append(keep, part)
	}
	return strings.Join(keep, "&")
}

// url returns the URL of a request of the given mode. withAck adds
// tether_ack=ack; the session id is added once there is one.
func (r *requester) url(mode string, withAck bool, ack uint64) string {
	return r.urlHold(mode, withAck, ack, -1)
}

// urlHold is url with tether_hold: the hold in whole milliseconds, none
// when hold is negative.
func (r *requester) urlHold(mode string, withAck bool, ack uint64, hold time.Duration) string {
	var q strings.Builder
	q.WriteString(r.appQuery)
	add := func(name, value string) {
		if q.Len() > 0 {
			q.WriteByte('&')
		}
		q.WriteString(name)
		q.WriteByte('=')
		q.WriteString(urlx.QueryEscape(value))
	}
	add(wire.ParamMode, mode)
	add(wire.ParamVersion, strconv.Itoa(wire.Version))
	if r.sid != "" {
		add(wire.ParamSID, r.sid)
	} else if r.attempt != "" {
		add(wire.ParamAttempt, r.attempt)
	}
	if withAck {
		add(wire.ParamAck, strconv.FormatUint(ack, 10))
	}
	if hold >= 0 {
		add(wire.ParamHold, strconv.FormatInt(hold.Milliseconds(), 10))
	}
	u := r.base
	u.RawQuery = q.String()
	u.ForceQuery = false
	return u.String()
}

// headers returns the headers of a request: the application's, the key,
// and what the mode asks for.
func (r *requester) headers(method, mode string) transport.Header {
	h := transport.Header{}
	if r.header != nil {
		for k, vs := range r.header() {
			for _, v := range vs {
				h.Add(k, v) // canonical: a "tether-key" of the application's goes too
			}
		}
	}
	h.Del(wire.HeaderKey)
	if r.key != "" {
		h.Set(wire.HeaderKey, r.key)
	}
	switch {
	case mode == wire.ModeSSE:
		h.Set("Accept", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
	case method == "GET":
		h.Set("Accept", "application/json")
		h.Set("Cache-Control", "no-cache")
	default:
		h.Set("Content-Type", "application/json")
	}
	return h
}

// do sends a request of the mode to url (r.url) and returns its 2xx answer, the body to be read and
// closed. A non-2xx answer is an error: a classified
// *transport.HandshakeError, in a *link.ServerError when its body is a
// Tether error object. wrote, when not nil, is called once the request is
// written. When ctx has ended, the error is its cause, even if an answer
// came: closing the connection (TLS close_notify first) can make the server
// answer before the socket is gone, and that answer is a reaction to our
// leaving.
func (r *requester) do(ctx context.Context, method, mode, url string, body []byte, wrote func()) (*answer, error) {
	resp, err := r.io.exchange(ctx, &request{
		name: r.name, method: method, url: url, header: r.headers(method, mode), body: body, wrote: wrote,
	})
	if cause := context.Cause(ctx); cause != nil {
		if err == nil {
			resp.body.Close()
		}
		return nil, cause
	}
	if he, ok := err.(*transport.HandshakeError); ok && he.StatusCode != 0 {
		if e, ok := parseErrorObject(he.Body); ok {
			return nil, &link.ServerError{Transport: r.name, Answer: *e, Err: he}
		}
	}
	return resp, err
}

// roundTrip makes a request whose answer is one JSON batch and returns the
// answer with its body read, up to the body limit, and closed. An answer
// over the limit is a *transport.LimitError (matching wire.ErrTooLarge),
// at once when its Content-Length says so.
func (r *requester) roundTrip(ctx context.Context, method, mode, url string, body []byte, wrote func()) (*answer, []byte, error) {
	resp, err := r.do(ctx, method, mode, url, body, wrote)
	if err != nil {
		return nil, nil, err
	}
	defer resp.body.Close()
	limit := bodyLimit(r.max)
	if resp.length > limit {
		return nil, nil, r.tooLarge("the "+mode+" answer (by its Content-Length)", limit, wire.ErrTooLarge)
	}
	b, err := io.ReadAll(io.LimitReader(resp.body, limit+1))
	switch cause := context.Cause(ctx); {
	case cause != nil: // as in do: past the deadline, no answer counts
		return nil, nil, cause
	case err != nil:
		return nil, nil, xfmt.Errorf("fallback: %s: reading the %s answer: %w", r.name, mode, err)
	case int64(len(b)) > limit:
		return nil, nil, r.tooLarge("the "+mode+" answer", limit, wire.ErrTooLarge)
	}
	return resp, b, nil
}

// parseBatch parses an answer's frames, the payloads bounded by max.
func (r *requester) parseBatch(mode string, body []byte) ([]wire.Frame, error) {
	frames, err := wire.ParseJSONBatch(body, maxBatchFrames, int(r.max))
	if err != nil {
		if lerr := r.payloadError("in the "+mode+" answer", err); lerr != err {
			return nil, lerr
		}
		return nil, xfmt.Errorf("fallback: %s: the %s answer: %w", r.name, mode, err)
	}
	return frames, nil
}

// send POSTs frames in as many bodies as the body limits require, one after
// another, and returns the frames of the answers (also those that came
// before a failure).
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
				body = body[:mark] // the next body starts with this frame
				break
			}
		}
		body = append(body, ']')
		got, err := r.post(ctx, body)
		answers = append(answers, got...)
		if err != nil {
			return answers, err
		}
	}
	return answers, nil
}

// post sends one send body and returns the answer's frames. Once the body
// is written, the answer must come within the welcome's timeout. Writing it
// is not bounded here (a large body on a slow link takes its time); a dead
// network shows on the receiving side, whose failure ends the link and so
// this request.
func (r *requester) post(ctx context.Context, body []byte) ([]wire.Frame, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(time.Hour, func() { cancel(errSilent(r.name, "no answer to a send", r.timeout)) })
	timer.Stop()
	defer timer.Stop()
	_, b, err := r.roundTrip(ctx, "POST", wire.ModeSend, r.url(wire.ModeSend, false, 0), body, func() { timer.Reset(r.timeout) })
	if err != nil {
		return nil, err
	}
	frames, err := r.parseBatch(wire.ModeSend, b)
	if err != nil {
		return nil, err
	}
	for _, f := range frames {
		switch f.Kind {
		case wire.KindAck, wire.KindPong, wire.KindClose:
		default:
			return nil, malformedf(r.name, "a %s frame in a send answer", f.Kind)
		}
	}
	return frames, nil
}
