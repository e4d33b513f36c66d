package server

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// maxUnchargedSendBody is the largest send body read while the Handler's
// budget is spent (readSend): an ack-only body is about 20 bytes.
const maxUnchargedSendBody = 512

// sendBodyLimit is the largest send body (PROTOCOL.md 14).
func (h *Handler) sendBodyLimit() int64 { return int64(h.opts.MaxMessageBytes)*6 + 64<<10 }

// readSend reads a send request's body, bounded: the body must arrive
// within Options.BodyTimeout (else the connection is dropped, unanswered:
// http.ErrAbortHandler); its bytes are charged to the Handler's budget (503
// when spent, but for a body of at most maxUnchargedSendBody bytes, read
// uncharged). The caller paces sends at Options.PollRate once it knows
// their ack (serveSend). It answers errors
// itself. On success the caller releases charged bytes of the budget.
func (h *Handler) readSend(w http.ResponseWriter, r *http.Request, s *Session) (body []byte, charged int64, ok bool) {
	limit := h.sendBodyLimit()
	if r.ContentLength < 0 {
		return h.readChunkedSend(w, r, s, limit)
	}
	size := r.ContentLength
	charged = size
	if !h.budget.takeNow(size) {
		if size <= maxUnchargedSendBody {
			// A small body (an ack, a short message) is read uncharged:
			// acks are how an SSE client frees the bytes the budget holds
			// for it, so refusing them while the budget is spent would keep
			// it spent. One per session at a time (the send slot): at most
			// MaxSessions x maxUnchargedSendBody bytes outside the budget.
			charged = 0
		} else {
			h.budgetSpent(w)
			return nil, 0, false
		}
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(h.opts.BodyTimeout))
	body = make([]byte, size)
	if _, err := io.ReadFull(r.Body, body); err != nil {
		h.budget.release(charged)
		h.sendBodyLost(s, err)
	}
	// Applying the frames may wait for room (backpressure); the expired
	// body deadline must not cancel the request meanwhile.
	rc.SetReadDeadline(time.Time{})
	return body, charged, true
}

// budgetSpent answers a send whose body the budget cannot take: 503 with
// Retry-After, and the connection closed (its body is not read).
func (h *Handler) budgetSpent(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	h.failStatus(w, wire.CodeInternal, http.StatusServiceUnavailable, "the server is overloaded (memory budget spent); retry later", 2*time.Second)
}

// sendBodyLost ends a send whose body did not arrive: too slow
// (BodyTimeout) or gone. The connection is dropped without an answer; a
// client that is still there resends.
func (h *Handler) sendBodyLost(s *Session, err error) {
	h.opts.Logger.Info("send body not received", "session", s.id, "error", err)
	panic(http.ErrAbortHandler)
}

// errBodyBudget is a body of unknown length refused by the spent budget
// as it grew.
var errBodyBudget = errors.New("memory budget spent")

// readChunkedSend is readSend for a body of unknown length (chunked): it
// is read into a buffer charged to the budget as it grows (its first
// maxUnchargedSendBody bytes uncharged, as a small body of known length),
// so that it costs what it holds, not the largest body allowed (which can
// be more than a small budget: such sends could never come in). 413 over
// limit, 503 when the budget refuses the buffer's growth.
func (h *Handler) readChunkedSend(w http.ResponseWriter, r *http.Request, s *Session, limit int64) (body []byte, charged int64, ok bool) {
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(h.opts.BodyTimeout))
	body, charged, err := h.readCharged(io.LimitReader(r.Body, limit+1))
	switch {
	case err == nil && int64(len(body)) > limit:
		h.budget.release(charged)
		w.Header().Set("Connection", "close") // the rest of the body is not read
		h.fail(w, wire.CodeMessageTooLarge, "send body larger than the server's limit", 0)
		return nil, 0, false
	case errors.Is(err, errBodyBudget):
		h.budget.release(charged)
		h.budgetSpent(w)
		return nil, 0, false
	case err != nil:
		h.budget.release(charged)
		h.sendBodyLost(s, err)
	}
	rc.SetReadDeadline(time.Time{})
	return body, charged, true
}

// readCharged reads r to its end into a buffer whose growth past
// maxUnchargedSendBody bytes is charged to the budget (takeNow): charged
// is the buffer's capacity then, to release once done with it.
func (h *Handler) readCharged(r io.Reader) (body []byte, charged int64, err error) {
	body = make([]byte, 0, maxUnchargedSendBody)
	for {
		if len(body) == cap(body) {
			c := int64(cap(body) + cap(body)/2) // by half: a small budget is not overdrawn by a doubling
			if !h.budget.takeNow(c - charged) {
				return nil, charged, errBodyBudget
			}
			charged = c
			body = append(make([]byte, 0, c), body...)
		}
		n, err := r.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if err == io.EOF {
			return body, charged, nil
		}
		if err != nil {
			return nil, charged, err
		}
	}
}

// refuseOversize answers 413 at once, without reading the body and closing
// the connection after, when a send's Content-Length is over the limit.
func (h *Handler) refuseOversize(w http.ResponseWriter, r *http.Request) bool {
	if r.ContentLength <= h.sendBodyLimit() {
		return false
	}
	w.Header().Set("Connection", "close")
	h.fail(w, wire.CodeMessageTooLarge, "send body of "+strconv.FormatInt(r.ContentLength, 10)+
		" bytes is over the server's limit of "+strconv.FormatInt(h.sendBodyLimit(), 10), 0)
	return true
}

// takeSendSlot waits until no other send of the session is being applied
// (PROTOCOL.md: one send body at a time per session). One request may wait
// (a client resending after a cut, while the server still applies the
// first); any other is refused with 429. It answers errors itself.
func (s *Session) takeSendSlot(w http.ResponseWriter, r *http.Request) bool {
	select {
	case s.sendSlot <- struct{}{}:
		return true
	default:
	}
	defer s.sendWaiters.Add(-1)
	if s.sendWaiters.Add(1) > 1 {
		s.h.fail(w, wire.CodeTooManyPolls, "another send of this session is in progress (one at a time)", time.Second)
		return false
	}
	select {
	case s.sendSlot <- struct{}{}:
		return true
	case <-r.Context().Done():
		return false
	}
}
