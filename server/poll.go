package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/tether-sdk/tether/internal/seq"
	"github.com/tether-sdk/tether/internal/wire"
)

// pollBatchBytes bounds the payload of one poll answer.
const pollBatchBytes = 512 << 10

// maxSendFrames bounds the frames of one send body.
const maxSendFrames = 1024

// servePollOpen attaches a session to long-polling and answers the welcome.
func (h *Handler) servePollOpen(w http.ResponseWriter, r *http.Request) {
	if !h.enabled(wire.TransportPoll) {
		h.fail(w, wire.CodeTransportDisabled, "the longpoll transport is disabled on this server", 0)
		return
	}
	_, welcome, ok := h.attach(w, r, newAttachment(wire.TransportPoll, false))
	if !ok {
		return
	}
	writeFrames(w, []wire.Frame{{Kind: wire.KindWelcome, Welcome: welcome}})
}

// sessionOf finds the session of a poll or send request; it answers 410
// itself.
func (h *Handler) sessionOf(w http.ResponseWriter, r *http.Request) *Session {
	s, err := h.find(r.URL.Query().Get(wire.ParamSID), requestKey(r))
	if err != nil {
		h.storeDown(w, err)
		return nil
	}
	if s == nil {
		h.fail(w, wire.CodeSessionNotFound, "session not found: it expired, was closed, or never existed; start a new session", 0)
	}
	return s
}

// servePoll holds one long-poll until frames are pending or its hold passes:
// the client's tether_hold, capped at PollHold (pollHold).
func (h *Handler) servePoll(w http.ResponseWriter, r *http.Request) {
	if !h.enabled(wire.TransportPoll) {
		h.fail(w, wire.CodeTransportDisabled, "the longpoll transport is disabled on this server", 0)
		return
	}
	s := h.sessionOf(w, r)
	if s == nil {
		return
	}
	ack, err := parseAck(r.URL.Query())
	if err != nil {
		h.fail(w, wire.CodeBadRequest, err.Error(), 0)
		return
	}
	holdFor, err := pollHold(r.URL.Query(), h.opts.PollHold)
	if err != nil {
		h.fail(w, wire.CodeBadRequest, err.Error(), 0)
		return
	}
	s.establish()
	if s.frees(ack) {
		// A poll that acks a full answer is not paced (frees).
	} else if ok, retry := s.pace(r.Context(), &s.polls, &s.pollWait); !ok {
		if retry > 0 {
			h.fail(w, wire.CodeTooManyPolls, "this session polls faster than the server allows", retry)
		}
		return
	}
	// The hold outlives http.Server.ReadTimeout and WriteTimeout; the
	// answer's write gets Options.WriteTimeout (answerPoll).
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	if n := h.polls.Add(1); n > int64(h.opts.MaxPendingPolls) {
		h.polls.Add(-1)
		h.fail(w, wire.CodeTooManyPolls, "too many polls held on this server", time.Second)
		return
	}
	defer h.polls.Add(-1)

	a := newAttachment(wire.TransportPoll, false)
	s.mu.Lock()
	if cur := s.att; cur != nil && cur.transport != wire.TransportPoll {
		s.mu.Unlock()
		// Another transport carries the session: this poller is stale.
		writeFrames(w, []wire.Frame{{Kind: wire.KindSuperseded}})
		return
	}
	if err := s.attachLocked(a, ack); err != nil {
		s.mu.Unlock()
		h.fail(w, wire.CodeBadRequest, err.Error(), 0)
		return
	}
	s.mu.Unlock()

	hold := time.NewTimer(holdFor)
	defer hold.Stop()
	var buf []seq.Msg
	for {
		b := s.nextBatch(a, buf[:0], pollBatchBytes)
		switch {
		case b.stopped && b.reason == reasonSuperseded:
			h.answerPoll(w, rc, s, a, []wire.Frame{{Kind: wire.KindSuperseded}}, true)
			return
		case b.stopped:
			h.answerPoll(w, rc, s, a, []wire.Frame{}, b.reason == reasonReplaced)
			return
		}
		if frames := b.frames(nil); len(frames) > 0 {
			s.mu.Lock()
			a.wrote(&b)
			s.mu.Unlock()
			h.answerPoll(w, rc, s, a, frames, false)
			return
		}
		select {
		case <-a.kick:
		case <-a.stopped:
		case <-r.Context().Done():
			return
		case <-hold.C:
			h.answerPoll(w, rc, s, a, []wire.Frame{}, false)
			return
		}
	}
}

// serveSend applies a batch of client frames and answers with the ack.
func (h *Handler) serveSend(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		h.fail(w, wire.CodeBadRequest, "a send is a POST", 0)
		return
	}
	if h.refuseOversize(w, r) {
		return
	}
	s := h.sessionOf(w, r)
	if s == nil {
		return
	}
	s.establish()
	if !s.takeSendSlot(w, r) {
		return
	}
	defer func() { <-s.sendSlot }()
	body, charged, ok := h.readSend(w, r, s)
	if !ok {
		return
	}
	defer h.budget.release(charged)
	frames, err := wire.ParseJSONBatch(body, maxSendFrames, h.opts.MaxMessageBytes)
	if err != nil {
		if errors.Is(err, wire.ErrTooLarge) {
			h.fail(w, wire.CodeMessageTooLarge, err.Error(), 0)
		} else {
			h.fail(w, wire.CodeBadRequest, err.Error(), 0)
		}
		return
	}
	if !carries(frames) && !s.frees(highestAck(frames)) {
		if ok, retry := s.pace(r.Context(), &s.sends, &s.sendWait); !ok {
			if retry > 0 {
				h.fail(w, wire.CodeTooManyPolls, "this session sends faster than the server allows", retry)
			}
			return
		}
	}
	s.mu.Lock()
	s.touchLocked()
	s.mu.Unlock()
	var replies []wire.Frame
	for i := range frames {
		reply, err := s.handleFrame(r.Context(), nil, &frames[i])
		if err != nil {
			if errors.Is(err, errGap) {
				break // PROTOCOL.md 9.5: keep what came before the gap, answer the ack
			}
			if errors.Is(err, errProtocol) {
				h.fail(w, wire.CodeBadRequest, err.Error(), 0)
			}
			if errors.Is(err, ErrStoreUnavailable) {
				h.storeDown(w, err)
			}
			return
		}
		if reply != nil {
			replies = append(replies, *reply)
		}
	}
	s.mu.Lock()
	recv := s.in.Recv()
	var closing *wire.Close
	if s.closeFrame != nil && s.ended != nil {
		var ce *CloseError
		if errors.As(s.ended, &ce) && ce.ByClient {
			closing = s.closeFrame // answer the client's close here too
		}
	}
	s.mu.Unlock()
	out := append([]wire.Frame{{Kind: wire.KindAck, Seq: recv}}, replies...)
	if closing != nil {
		out = append(out, wire.Frame{Kind: wire.KindClose, Close: closing})
	}
	writeFrames(w, out)
}

// highestAck is the highest ack among frames (0: none).
func highestAck(frames []wire.Frame) uint64 {
	var n uint64
	for i := range frames {
		if frames[i].Kind == wire.KindAck {
			n = max(n, frames[i].Seq)
		}
	}
	return n
}

// answerPoll writes a held poll's answer within Options.WriteTimeout (within
// supersededWriteBound for a poll the client left: superseded, or replaced
// by a newer poll, most likely sent because this one's path froze). A
// write that cannot complete is logged; net/http then closes the
// connection and the poll transport is detached (the next poll attaches
// again and gets what this answer held). With left, the connection is
// closed after the answer too.
func (h *Handler) answerPoll(w http.ResponseWriter, rc *http.ResponseController, s *Session, a *attachment, frames []wire.Frame, left bool) {
	bound := h.opts.WriteTimeout
	if left {
		bound = min(bound, supersededWriteBound)
	}
	rc.SetWriteDeadline(time.Now().Add(bound))
	err := writeFrames(w, frames)
	if err == nil {
		err = rc.Flush()
	}
	if err != nil {
		h.writeFailed(s, "longpoll", bound, err)
		s.detach(a)
		return
	}
	if left {
		closeConn(rc)
	}
}
