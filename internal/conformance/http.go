package conformance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// maxBody bounds what a check reads of an HTTP answer.
const maxBody = 64 << 20

// params are Tether query parameters; a nil value leaves a parameter out.
type params map[string]string

// urlWith is the endpoint URL with Tether's parameters added to the
// application's.
func (e *env) urlWith(p params) string {
	u := *e.base
	q := u.Query()
	for k, v := range p {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// answer is an HTTP answer, body read.
type answer struct {
	resp *http.Response
	body []byte
}

func (a *answer) String() string { return describeAnswer(a.resp, a.body) }

// do makes one request and reads its answer (bounded by patience plus
// hold).
func (e *env) do(ctx context.Context, method string, p params, h http.Header, body []byte, hold time.Duration) (*answer, error) {
	rctx, cancel := context.WithTimeout(ctx, e.patience+hold)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, method, e.urlWith(p), rd)
	if err != nil {
		return nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, kindOf(p), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", method, kindOf(p), err)
	}
	return &answer{resp: resp, body: b}, nil
}

func kindOf(p params) string {
	if k, ok := p[wire.ParamMode]; ok {
		return "?tether=" + k
	}
	return "the URL"
}

// keyHeader is the Tether-Key header.
func keyHeader(key string) http.Header { return http.Header{wire.HeaderKey: {key}} }

// session is a session the check started: its id and key.
type session struct {
	sid, key string
	welcome  *wire.Welcome
}

func (s *session) params(mode string, extra ...string) params {
	p := params{wire.ParamMode: mode, wire.ParamVersion: "1", wire.ParamSID: s.sid}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i]] = extra[i+1]
	}
	return p
}

// pollOpen starts a long-polling session.
func (e *env) pollOpen(ctx context.Context) (*session, error) {
	a, err := e.do(ctx, http.MethodGet, params{wire.ParamMode: wire.ModePollOpen, wire.ParamVersion: "1"}, nil, nil, 0)
	if err != nil {
		return nil, err
	}
	w, err := a.welcome()
	if err != nil {
		return nil, fmt.Errorf("poll-open: %w", err)
	}
	if err := checkWelcome(w, true, false); err != nil {
		return nil, fmt.Errorf("poll-open: %w", err)
	}
	return &session{sid: w.SID, key: w.Key, welcome: w}, nil
}

// welcome expects a poll-open answer: 200, one welcome frame.
func (a *answer) welcome() (*wire.Welcome, error) {
	frames, err := a.frames()
	if err != nil {
		return nil, err
	}
	if len(frames) != 1 || frames[0].Kind != wire.KindWelcome {
		return nil, fmt.Errorf("expected exactly [[\"w\",{...}]], got %s", shorten(string(a.body)))
	}
	return frames[0].Welcome, nil
}

// frames expects a 200 JSON batch with Cache-Control: no-store.
func (a *answer) frames() ([]wire.Frame, error) {
	if a.resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("expected 200 with a JSON batch, got %s", a)
	}
	if err := wantContentType(a.resp, "application/json"); err != nil {
		return nil, err
	}
	if err := wantNoStore(a.resp); err != nil {
		return nil, err
	}
	frames, err := wire.ParseJSONBatch(a.body, 1<<20, 1<<62)
	if err != nil {
		return nil, fmt.Errorf("the answer is not a valid batch of frames (%s): %w", shorten(string(a.body)), err)
	}
	return frames, nil
}

// wantError expects an HTTP error answer: status, JSON error object with
// code, Cache-Control: no-store.
func (a *answer) wantError(code string) (*wire.Error, error) {
	status := wire.StatusOf(code)
	if a.resp.StatusCode != status {
		return nil, fmt.Errorf("expected %d %s, got %s", status, code, a)
	}
	if err := wantContentType(a.resp, "application/json"); err != nil {
		return nil, fmt.Errorf("%d %s: %w", status, code, err)
	}
	if err := wantNoStore(a.resp); err != nil {
		return nil, fmt.Errorf("%d %s: %w", status, code, err)
	}
	we, err := parseErrorBody(a.body)
	if err != nil {
		return nil, fmt.Errorf("%d %s: %w", status, code, err)
	}
	if we.Code != code {
		return nil, fmt.Errorf("expected code %s, got %s", code, a)
	}
	if we.Status != 0 && we.Status != status {
		return nil, fmt.Errorf("the error object of %s carries status %d, not %d", code, we.Status, status)
	}
	if code == wire.CodeUnsupportedVersion && !containsInt(we.Versions, wire.Version) {
		return nil, fmt.Errorf("unsupported_version does not list the versions the server speaks (%s)", shorten(string(a.body)))
	}
	if status == http.StatusTooManyRequests && a.resp.Header.Get("Retry-After") == "" {
		return nil, fmt.Errorf("a 429 without Retry-After")
	}
	return we, nil
}

// parseErrorBody parses an error object strictly, through the e frame
// parser.
func parseErrorBody(b []byte) (*wire.Error, error) {
	f, err := wire.ParseJSON(append(append([]byte(`["e",`), bytes.TrimSpace(b)...), ']'), 1<<20)
	if err != nil {
		return nil, fmt.Errorf("the body is not a valid error object (%s): %w", shorten(string(b)), err)
	}
	return f.Error, nil
}

func wantContentType(r *http.Response, want string) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != want {
		return fmt.Errorf("Content-Type is %q, not %s", r.Header.Get("Content-Type"), want)
	}
	return nil
}

func wantNoStore(r *http.Response) error {
	if !hasToken(r.Header.Get("Cache-Control"), "no-store") {
		return fmt.Errorf("Cache-Control is %q, not no-store (section 15)", r.Header.Get("Cache-Control"))
	}
	return nil
}

func hasToken(h, tok string) bool {
	for _, t := range strings.Split(h, ",") {
		if strings.EqualFold(strings.TrimSpace(t), tok) {
			return true
		}
	}
	return false
}

// describeResponse shows a refused upgrade's status and body.
func describeResponse(r *http.Response) string {
	var b []byte
	if r.Body != nil {
		b, _ = io.ReadAll(io.LimitReader(r.Body, 4096))
		r.Body.Close()
	}
	return describeAnswer(r, b)
}

func describeAnswer(r *http.Response, body []byte) string {
	s := r.Status
	if len(body) > 0 {
		s += " " + shorten(strings.TrimSpace(string(body)))
	}
	return s
}

// send posts frames as a send body and returns the answer's frames, which
// must start with an ack and hold only a, q and c frames.
func (e *env) send(ctx context.Context, s *session, frames ...wire.Frame) ([]wire.Frame, error) {
	body, err := wire.AppendJSONBatch(nil, frames)
	if err != nil {
		return nil, err
	}
	a, err := e.do(ctx, http.MethodPost, s.params(wire.ModeSend), keyHeader(s.key), body, 0)
	if err != nil {
		return nil, err
	}
	out, err := a.frames()
	if err != nil {
		return nil, fmt.Errorf("send %s: %w", shorten(string(body)), err)
	}
	if len(out) == 0 || out[0].Kind != wire.KindAck {
		return nil, fmt.Errorf("send %s: the answer %s does not start with [\"a\",n] (9.4)", shorten(string(body)), shorten(string(a.body)))
	}
	for i := range out {
		switch out[i].Kind {
		case wire.KindAck, wire.KindPong, wire.KindClose:
		default:
			return nil, fmt.Errorf("send %s: the answer carries a %s frame; only a, q and c are allowed there (5)", shorten(string(body)), out[i].Kind)
		}
	}
	return out, nil
}

func text(seq uint64, s string) wire.Frame {
	return wire.Frame{Kind: wire.KindText, Seq: seq, Data: []byte(s)}
}

func binary(seq uint64, b []byte) wire.Frame {
	return wire.Frame{Kind: wire.KindBinary, Seq: seq, Data: b}
}

// sseStream is an open SSE response, read event by event.
type sseStream struct {
	e      *env
	resp   *http.Response
	events chan sseEvent
	cancel context.CancelFunc
}

// sseEvent is one event, a comment, or the end of the stream (err).
type sseEvent struct {
	comment   string // a comment line's text, e.g. "hb"
	isComment bool
	hasID     bool
	id        string
	frame     wire.Frame
	raw       string
	err       error
}

// openSSE makes an SSE request; the answer's headers are checked by the
// caller. A non-200 answer is returned as an *answer in the error's place.
func (e *env) openSSE(ctx context.Context, p params, h http.Header) (*sseStream, *answer, error) {
	sctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, e.urlWith(p), nil)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	if h == nil {
		h = http.Header{"Accept": {"text/event-stream"}}
	}
	for k, v := range h {
		req.Header[k] = v
	}
	hctx, hcancel := context.WithTimeout(ctx, e.patience)
	defer hcancel()
	stop := context.AfterFunc(hctx, func() {
		if ctx.Err() == nil && hctx.Err() != nil {
			cancel()
		}
	})
	resp, err := e.cfg.HTTPClient.Do(req)
	stop()
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("GET ?tether=sse: no answer within %v: %w", e.patience, err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		cancel()
		return nil, &answer{resp: resp, body: b}, nil
	}
	s := &sseStream{e: e, resp: resp, events: make(chan sseEvent, 256), cancel: cancel}
	go s.read(sctx)
	return s, nil, nil
}

func (s *sseStream) close() { s.cancel(); s.resp.Body.Close() }

// read parses the stream (LF, CRLF or CR line ends) into events.
func (s *sseStream) read(ctx context.Context) {
	defer close(s.events)
	br := bufio.NewReaderSize(s.resp.Body, 64<<10)
	var data []string
	var id string
	var hasID bool
	emit := func(ev sseEvent) bool {
		select {
		case s.events <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			emit(sseEvent{err: fmt.Errorf("the stream ended: %w", err)})
			return
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		switch {
		case line == "":
			if data == nil {
				id, hasID = "", false
				continue
			}
			raw := strings.Join(data, "\n")
			ev := sseEvent{raw: raw, id: id, hasID: hasID}
			ev.frame, ev.err = wire.ParseJSON([]byte(raw), 1<<62)
			if ev.err != nil {
				ev.err = fmt.Errorf("an SSE event is not a valid frame (%s): %w", shorten(raw), ev.err)
			}
			data, id, hasID = nil, "", false
			if !emit(ev) || ev.err != nil {
				return
			}
		case strings.HasPrefix(line, ":"):
			if !emit(sseEvent{comment: line[1:], isComment: true}) {
				return
			}
		default:
			name, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch name {
			case "data":
				data = append(data, value)
			case "id":
				id, hasID = value, true
			}
		}
	}
}

// next returns the next event (comments included when withComments).
func (s *sseStream) next(ctx context.Context, d time.Duration, withComments bool) (sseEvent, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return sseEvent{}, fmt.Errorf("the stream ended")
			}
			if ev.err != nil {
				return ev, ev.err
			}
			if ev.isComment {
				if withComments {
					return ev, nil
				}
				continue
			}
			return ev, nil
		case <-t.C:
			return sseEvent{}, fmt.Errorf("%w: no SSE event within %v", errNoAnswer, d)
		case <-ctx.Done():
			return sseEvent{}, fmt.Errorf("%w: %w", errNoAnswer, ctx.Err())
		}
	}
}

// checkSSEHeaders checks the three headers 8.1 requires.
func checkSSEHeaders(r *http.Response) error {
	if err := wantContentType(r, "text/event-stream"); err != nil {
		return err
	}
	if !hasToken(r.Header.Get("Cache-Control"), "no-cache") {
		return fmt.Errorf("Cache-Control is %q, not no-cache (8.1)", r.Header.Get("Cache-Control"))
	}
	if !strings.EqualFold(r.Header.Get("X-Accel-Buffering"), "no") {
		return fmt.Errorf("X-Accel-Buffering is %q, not no (8.1)", r.Header.Get("X-Accel-Buffering"))
	}
	return nil
}

// sseWelcome reads the first event, which must be a welcome without id.
func (s *sseStream) welcome(ctx context.Context) (*wire.Welcome, error) {
	ev, err := s.next(ctx, s.e.patience, false)
	if err != nil {
		return nil, fmt.Errorf("waiting for the welcome event (sent and flushed at once, 8.1): %w", err)
	}
	if ev.frame.Kind != wire.KindWelcome {
		return nil, fmt.Errorf("the first event is %s, not a welcome", shorten(ev.raw))
	}
	if ev.hasID {
		return nil, fmt.Errorf("the welcome event carries id: %q; only data events do (6.4)", ev.id)
	}
	return ev.frame.Welcome, nil
}

// jsonString is s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

var _ = url.Values{}

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, maxBody)) }
