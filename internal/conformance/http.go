package conformance

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
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
	a, err := admitted(ctx, func() (*answer, error) {
		a, err := e.do(ctx, http.MethodGet, params{wire.ParamMode: wire.ModePollOpen, wire.ParamVersion: "1"}, nil, nil, 0)
		if err == nil {
			err = httpRefusal(a)
		}
		return a, err
	})
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

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, maxBody)) }

// refused sends a request the server must refuse: it returns an error
// unless the answer is the error object with code (wantError).
func (e *env) refused(ctx context.Context, method string, p params, h http.Header, body []byte, code string) error {
	a, err := e.do(ctx, method, p, h, body, 0)
	if err != nil {
		return err
	}
	return a.wantErrorErr(code)
}
