package server

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tether-sdk/tether/internal/seq"
	"github.com/tether-sdk/tether/internal/sse"
	"github.com/tether-sdk/tether/internal/wire"
)

// sseBatchBytes bounds the payload an SSE writer takes at once.
const sseBatchBytes = 256 << 10

// serveSSE attaches a session to a server-to-client event stream.
func (h *Handler) serveSSE(w http.ResponseWriter, r *http.Request) {
	if !h.enabled(wire.TransportSSE) {
		h.fail(w, wire.CodeTransportDisabled, "the sse transport is disabled on this server", 0)
		return
	}
	if r.Method != http.MethodGet {
		h.fail(w, wire.CodeBadRequest, "an SSE stream is a GET", 0)
		return
	}
	a := newAttachment(wire.TransportSSE, true)
	rc := http.NewResponseController(w)
	sw := &sseWriter{w: w, rc: rc, timeout: h.opts.WriteTimeout}
	a.onStop = sw.superseded
	s, welcome, ok := h.attach(w, r, a)
	if !ok {
		return
	}
	defer s.detach(a)

	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no")
	rc.SetReadDeadline(time.Time{}) // a stream outlives http.Server.ReadTimeout; WriteTimeout bounds each write
	w.WriteHeader(http.StatusOK)
	if err := sw.frame(&wire.Frame{Kind: wire.KindWelcome, Welcome: welcome}); err != nil {
		return
	}
	if err := sw.flush(); err != nil {
		h.writeFailed(s, "sse", sw.lastBound(), err)
		return
	}
	hb := time.NewTicker(min(h.opts.Heartbeat, maxSSEHeartbeat))
	defer hb.Stop()
	var buf []seq.Msg
	var frames []wire.Frame
	for {
		b := s.nextBatch(a, buf[:0], sseBatchBytes)
		if b.stopped {
			if b.reason == reasonSuperseded {
				sw.frame(&wire.Frame{Kind: wire.KindSuperseded})
				if err := sw.flush(); err != nil {
					h.writeFailed(s, "sse", sw.lastBound(), err)
					return
				}
				// The client went elsewhere: free this connection now
				// rather than keep it idle (it may be a frozen path).
				closeConn(rc)
			}
			return
		}
		frames = b.frames(frames[:0])
		for i := range frames {
			if sw.frame(&frames[i]) != nil {
				return
			}
		}
		if len(frames) > 0 {
			if err := sw.flush(); err != nil {
				h.writeFailed(s, "sse", sw.lastBound(), err)
				return
			}
		}
		a.wrote(&b)
		buf = b.msgs
		if b.close != nil {
			return
		}
		if b.remaining {
			continue
		}
		select {
		case <-a.kick:
		case <-a.stopped:
		case <-r.Context().Done():
			return
		case <-hb.C:
			sw.buf = sse.AppendComment(sw.buf, "hb")
			if err := sw.flush(); err != nil {
				h.writeFailed(s, "sse", sw.lastBound(), err)
				return
			}
		}
	}
}

// sseWriter encodes frames as events into a buffer and flushes it, each
// flush bounded by timeout.
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	buf     []byte

	mu       sync.Mutex
	deadline time.Time     // when set (superseded), no write runs past it
	bound    time.Duration // the last flush's bound, for the log
}

// frame appends f as an event. The JSON of a frame is one line of valid
// UTF-8 (wire.AppendJSON promises it: control characters in strings are
// escaped): it goes straight into the buffer as the event's data, without
// the copy into a string and the checks of sse.AppendEvent, which would
// write the same bytes (TestSSEFrameMatchesAppendEvent).
func (sw *sseWriter) frame(f *wire.Frame) error {
	start := len(sw.buf)
	if f.Kind == wire.KindText || f.Kind == wire.KindBinary {
		sw.buf = append(sw.buf, "id: "...)
		sw.buf = strconv.AppendUint(sw.buf, f.Seq, 10)
		sw.buf = append(sw.buf, '\n')
	}
	sw.buf = append(sw.buf, "data: "...)
	var err error
	sw.buf, err = wire.AppendJSON(sw.buf, f)
	if err != nil {
		sw.buf = sw.buf[:start]
		return err
	}
	sw.buf = append(sw.buf, '\n', '\n')
	return nil
}

func (sw *sseWriter) flush() error {
	sw.mu.Lock()
	now := time.Now()
	d := now.Add(sw.timeout)
	if !sw.deadline.IsZero() && sw.deadline.Before(d) {
		d = sw.deadline
	}
	sw.bound = d.Sub(now).Round(time.Millisecond)
	sw.rc.SetWriteDeadline(d)
	sw.mu.Unlock()
	_, err := sw.w.Write(sw.buf)
	sw.buf = sw.buf[:0]
	if err != nil {
		return err
	}
	return sw.rc.Flush()
}

// lastBound is the bound the last flush ran under, for the log: the cut a
// supersede made, if any.
func (sw *sseWriter) lastBound() time.Duration {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if !sw.deadline.IsZero() {
		return min(sw.timeout, supersededWriteBound)
	}
	return sw.bound
}

// superseded is the attachment's stop hook: once another transport took
// the session, a write of this stream (one in progress included) gets at
// most supersededWriteBound, so a frozen stream's goroutine and buffers go
// at once instead of after a full WriteTimeout.
func (sw *sseWriter) superseded(reason string) {
	if reason != reasonSuperseded {
		return
	}
	sw.mu.Lock()
	defer sw.mu.Unlock()
	sw.deadline = time.Now().Add(min(sw.timeout, supersededWriteBound))
	sw.rc.SetWriteDeadline(sw.deadline)
}

// attach authenticates an SSE or poll-open request, finds or creates its
// session, and attaches a to it from the client's ack; it returns the
// session and the welcome to send. It answers errors itself.
func (h *Handler) attach(w http.ResponseWriter, r *http.Request, a *attachment) (*Session, *wire.Welcome, bool) {
	auth, ok := h.authenticate(w, r)
	if !ok {
		return nil, nil, false
	}
	s, isNew, ack, ok := h.attachRequest(w, r, auth)
	if !ok {
		return nil, nil, false
	}
	s.mu.Lock()
	if err := s.attachLocked(a, ack); err != nil {
		s.mu.Unlock()
		h.fail(w, wire.CodeBadRequest, err.Error(), 0)
		return nil, nil, false
	}
	welcome := s.welcomeLocked(isNew, false)
	s.mu.Unlock()
	return s, welcome, true
}

// attachRequest finds or creates the session of an SSE or poll-open
// request and reads the client's ack. It answers errors itself.
func (h *Handler) attachRequest(w http.ResponseWriter, r *http.Request, auth any) (s *Session, isNew bool, ack uint64, ok bool) {
	q := r.URL.Query()
	sid := q.Get(wire.ParamSID)
	if sid == "" {
		if r.Header.Get(wire.HeaderLastEventID) != "" {
			h.fail(w, wire.CodeBadRequest, "Last-Event-ID without tether_sid: a reconnecting EventSource must not start a second session", 0)
			return nil, false, 0, false
		}
		var wait time.Duration
		if s, wait = h.newSession(r, auth); s == nil {
			h.fail(w, wire.CodeTooManySessions, "too many sessions from this address or on this server; retry later", wait)
			return nil, false, 0, false
		}
		return s, true, 0, true
	}
	ack, err := parseAck(q)
	if err != nil {
		h.fail(w, wire.CodeBadRequest, err.Error(), 0)
		return nil, false, 0, false
	}
	if lei := r.Header.Get(wire.HeaderLastEventID); lei != "" {
		n, err := parseNumber(lei)
		if err != nil {
			h.fail(w, wire.CodeBadRequest, "Last-Event-ID "+err.Error(), 0)
			return nil, false, 0, false
		}
		ack = max(ack, n)
	}
	if s, err = h.find(sid, requestKey(r)); err != nil {
		h.storeDown(w, err)
		return nil, false, 0, false
	}
	if s == nil || s.overFor(ack) {
		h.fail(w, wire.CodeSessionNotFound, "session not found: it expired, was closed, or never existed; start a new session", 0)
		return nil, false, 0, false
	}
	s.establish()
	return s, false, ack, true
}
