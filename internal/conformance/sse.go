package conformance

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

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
	// The answer's headers must come within patience; the stream then
	// lives as long as the check.
	var answered atomic.Bool
	headers := time.AfterFunc(e.patience, func() {
		if !answered.Load() {
			cancel()
		}
	})
	resp, err := e.cfg.HTTPClient.Do(req)
	answered.Store(true)
	headers.Stop()
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
