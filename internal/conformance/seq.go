package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// binaryPayload is the binary example of 6.2 and 6.3.
var binaryPayload = []byte{0x00, 0xff, 0x10}

// collectWS reads data frames until it has n, skipping acks and answering
// pings (with recv 0: nothing is acknowledged, so the server keeps them).
func (w *wsConn) collect(ctx context.Context, n int) ([]wire.Frame, error) {
	var got []wire.Frame
	for len(got) < n {
		f, err := w.expect(ctx, fmt.Sprintf("echoed data frame %d of %d (the data checks need an echoing endpoint; see --no-echo)", len(got)+1, n), 0,
			func(f *wire.Frame) bool { return f.Kind == wire.KindText || f.Kind == wire.KindBinary })
		if err != nil {
			return got, err
		}
		got = append(got, f)
	}
	return got, nil
}

// wantData checks that got holds data frames with seqs from first on and
// the payloads want (a []byte payload: binary; a string: text).
func wantData(got []wire.Frame, first uint64, want ...any) error {
	if len(got) != len(want) {
		return fmt.Errorf("expected %d data frames, got %d", len(want), len(got))
	}
	for i, w := range want {
		f := &got[i]
		seq := first + uint64(i)
		switch w := w.(type) {
		case string:
			if f.Kind != wire.KindText || f.Seq != seq || string(f.Data) != w {
				return fmt.Errorf("data frame %d: expected text seq %d %q, got %s", i+1, seq, w, describeFrame(f))
			}
		case []byte:
			if f.Kind != wire.KindBinary || f.Seq != seq || !bytes.Equal(f.Data, w) {
				return fmt.Errorf("data frame %d: expected binary seq %d %x, got %s", i+1, seq, w, describeFrame(f))
			}
		}
	}
	return nil
}

func seqChecks() []*Check {
	return []*Check{
		{ID: "ws.ack", Section: "4.4", Level: Must, need: needWS,
			Title: "the server acknowledges received data with an a frame carrying its recv",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newWSSession(ctx)
				if err != nil {
					return err
				}
				defer s.ws.close()
				for _, f := range []wire.Frame{text(1, "one"), binary(2, binaryPayload)} {
					if err := s.ws.send(f); err != nil {
						return err
					}
				}
				f, err := s.ws.expect(ctx, "an ack of 2 (a2) after sending m1 and b2", 0, func(f *wire.Frame) bool {
					return f.Kind == wire.KindAck && f.Seq >= 2
				})
				if err == nil && f.Seq != 2 {
					err = fmt.Errorf("the server acked %d after receiving 2 frames", f.Seq)
				}
				return err
			}},
		{ID: "ws.data", Section: "4.3, 6.2", Level: Must, need: needWS, echo: true,
			Title: "server data frames are numbered 1, 2, ... in order; text in text messages, binary in binary messages",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newWSSession(ctx)
				if err != nil {
					return err
				}
				defer s.ws.close()
				for _, f := range []wire.Frame{text(1, "one"), binary(2, binaryPayload), text(3, "")} {
					if err := s.ws.send(f); err != nil {
						return err
					}
				}
				got, err := s.ws.collect(ctx, 3)
				if err != nil {
					return err
				}
				return wantData(got, 1, "one", binaryPayload, "")
			}},
		{ID: "ws.ping", Section: "4.4, 11", Level: Must, need: needWS,
			Title: "p is answered with q carrying the server's recv",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newWSSession(ctx)
				if err != nil {
					return err
				}
				defer s.ws.close()
				if ack, _, err := s.ws.ping(ctx, 0); err != nil {
					return err
				} else if ack != 0 {
					return fmt.Errorf("q%d answered p0 before any data was sent", ack)
				}
				if err := s.ws.send(text(1, "x")); err != nil {
					return err
				}
				ack, _, err := s.ws.ping(ctx, 0)
				if err != nil {
					return err
				}
				if ack != 1 {
					return fmt.Errorf("after m1, p0 was answered q%d, not q1", ack)
				}
				return nil
			}},
		{ID: "ws.duplicate", Section: "4.3", Level: Must, need: needWS,
			Title: "a data frame with seq <= recv is dropped (not delivered twice) and acked",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newWSSession(ctx)
				if err != nil {
					return err
				}
				defer s.ws.close()
				for _, f := range []wire.Frame{text(1, "a"), text(2, "b"), text(1, "a"), text(3, "c")} {
					if err := s.ws.send(f); err != nil {
						return err
					}
				}
				ack, got, err := s.ws.ping(ctx, 0)
				if err != nil {
					return err
				}
				if ack != 3 {
					return fmt.Errorf("after m1 m2 m1 m3, p0 was answered q%d, not q3", ack)
				}
				if e.cfg.NoEcho {
					return nil
				}
				if len(got) < 3 {
					more, err := s.ws.collect(ctx, 3-len(got))
					if err != nil {
						return err
					}
					got = append(got, more...)
				}
				return wantData(got, 1, "a", "b", "c")
			}},
		{ID: "ws.gap", Section: "4.3", Level: Must, need: needWS,
			Title: "a seq gap closes that WebSocket with 1002 (no e frame), and the session survives",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newWSSession(ctx)
				if err != nil {
					return err
				}
				defer s.ws.close()
				for _, f := range []wire.Frame{text(1, "a"), text(3, "c")} {
					if err := s.ws.send(f); err != nil {
						return err
					}
				}
				_, err = s.ws.expect(ctx, "close 1002 after m1 m3", 0, func(*wire.Frame) bool { return false })
				var ce *closedError
				if !errors.As(err, &ce) || ce.code != wire.CloseProtocol {
					return err
				}
				ws, w, err := e.resumeWS(ctx, &s.session, 0)
				if err != nil {
					return fmt.Errorf("the session did not survive the gap: %w", err)
				}
				defer ws.close()
				if w.Ack != 1 {
					return fmt.Errorf("after the gap the resume welcome has ack %d, not 1", w.Ack)
				}
				return nil
			}},
		{ID: "ws.ack-ahead", Section: "3, 4.4", Level: Must, need: needWS,
			Title: "an ack above the last seq the server sent gets e bad_request and close 4400",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newWSSession(ctx)
				if err != nil {
					return err
				}
				defer s.ws.close()
				if err := s.ws.sendText("a5"); err != nil {
					return err
				}
				return s.ws.expectError(ctx, wire.CodeBadRequest)
			}},
		{ID: "send.ack", Section: "9.4", Level: Must, need: needFallback,
			Title: "a send is answered 200 with [\"a\",recv] first, [\"q\",recv] for a ping, nothing but a, q, c",
			run: func(ctx context.Context, e *env) error {
				s, closeFn, err := e.fallbackSession(ctx)
				if err != nil {
					return err
				}
				defer closeFn()
				out, err := e.send(ctx, s, text(1, "one"), binary(2, binaryPayload), wire.Frame{Kind: wire.KindPing})
				if err != nil {
					return err
				}
				if out[0].Seq != 2 {
					return fmt.Errorf("the answer to m1 b2 p0 starts with [\"a\",%d], not [\"a\",2]", out[0].Seq)
				}
				if len(out) < 2 || out[1].Kind != wire.KindPong || out[1].Seq != 2 {
					return fmt.Errorf("the answer to m1 b2 p0 has no [\"q\",2] after the ack: %v", kinds(out))
				}
				return nil
			}},
		{ID: "send.gap", Section: "4.3, 9.5", Level: Must, need: needFallback,
			Title: "a send body with a gap: frames before it delivered, the rest dropped, 200 [\"a\",recv]; duplicates dropped",
			run: func(ctx context.Context, e *env) error {
				s, closeFn, err := e.fallbackSession(ctx)
				if err != nil {
					return err
				}
				defer closeFn()
				steps := []struct {
					frames []wire.Frame
					ack    uint64
				}{
					{[]wire.Frame{text(1, "a"), text(3, "c"), text(4, "d")}, 1},
					{[]wire.Frame{text(2, "b"), text(3, "c")}, 3},
					{[]wire.Frame{text(1, "a"), text(3, "c")}, 3},
				}
				for i, st := range steps {
					out, err := e.send(ctx, s, st.frames...)
					if err != nil {
						return err
					}
					if out[0].Seq != st.ack {
						return fmt.Errorf("send %d (%s): answered [\"a\",%d], expected [\"a\",%d]", i+1, seqList(st.frames), out[0].Seq, st.ack)
					}
				}
				return nil
			}},
		{ID: "send.ack-ahead", Section: "3, 4.4", Level: Must, need: needFallback,
			Title: "an ack above the last seq the server sent, in a send body, is 400 bad_request",
			run: func(ctx context.Context, e *env) error {
				s, closeFn, err := e.fallbackSession(ctx)
				if err != nil {
					return err
				}
				defer closeFn()
				return e.refused(ctx, http.MethodPost, s.params(wire.ModeSend), keyHeader(s.key), []byte(`[["a",5]]`), wire.CodeBadRequest)
			}},
		{ID: "poll.data", Section: "6.3, 9.2, 9.6", Level: Must, need: needPoll, echo: true,
			Title: "a poll answers at once with the frames above its ack, in order; the same again until acked",
			run: func(ctx context.Context, e *env) error {
				s, err := e.pollOpen(ctx)
				if err != nil {
					return err
				}
				if _, err := e.send(ctx, s, text(1, "one"), binary(2, binaryPayload)); err != nil {
					return err
				}
				got, err := e.pollData(ctx, s, 0, 2)
				if err != nil {
					return err
				}
				if err := wantData(got, 1, "one", binaryPayload); err != nil {
					return err
				}
				again, err := e.pollData(ctx, s, 0, 2)
				if err != nil {
					return fmt.Errorf("polling again with tether_ack=0: %w", err)
				}
				if err := wantData(again, 1, "one", binaryPayload); err != nil {
					return fmt.Errorf("polling again with tether_ack=0 (answers are resent until acked, 9.6): %w", err)
				}
				return nil
			}},
		{ID: "poll.ack-wakes", Section: "9.2", Level: Should, need: needPoll,
			Title: "a held poll is answered with [\"a\",n] when the server's recv advances",
			run: func(ctx context.Context, e *env) error {
				s, err := e.pollOpen(ctx)
				if err != nil {
					return err
				}
				held := e.holdPoll(ctx, s, 0)
				if a := held.early(); a != nil {
					return fmt.Errorf("the poll answered before anything was sent: %s", a)
				}
				if _, err := e.send(ctx, s, text(1, "x")); err != nil {
					return err
				}
				frames, err := held.frames(ctx, e.patience)
				if err != nil {
					return fmt.Errorf("the held poll after a send of m1: %w", err)
				}
				for _, f := range frames {
					if f.Kind == wire.KindAck && f.Seq == 1 {
						return nil
					}
				}
				return fmt.Errorf("the held poll answered %v, without [\"a\",1]", kinds(frames))
			}},
		{ID: "sse.data", Section: "6.4, 8.1, 8.2", Level: Must, need: needSSE,
			Title: "SSE carries [\"a\",n] events as the server's recv advances, and data events with id: <seq>",
			run: func(ctx context.Context, e *env) error {
				s, err := e.newSSESession(ctx, nil)
				if err != nil {
					return err
				}
				defer s.st.close()
				if _, err := e.send(ctx, &s.session, text(1, "one"), binary(2, binaryPayload)); err != nil {
					return err
				}
				sawAck, seen := false, 0
				for !sawAck || (!e.cfg.NoEcho && seen < 2) {
					ev, err := s.st.next(ctx, e.patience, false)
					if err != nil {
						if !sawAck {
							return fmt.Errorf("waiting for [\"a\",2]: %w", err)
						}
						return fmt.Errorf("waiting for the echoes (see --no-echo): %w", err)
					}
					f := ev.frame
					switch f.Kind {
					case wire.KindAck:
						if ev.hasID {
							return fmt.Errorf("an ack event carries id: %q (6.4: only data events do)", ev.id)
						}
						sawAck = sawAck || f.Seq == 2
					case wire.KindText, wire.KindBinary:
						seen++
						if seen > 2 {
							return fmt.Errorf("a third data event %s after sending two messages", shorten(ev.raw))
						}
						if !ev.hasID || ev.id != strconv.FormatUint(f.Seq, 10) {
							return fmt.Errorf("data event %s has id %q (6.4: id: <seq>)", shorten(ev.raw), ev.id)
						}
						if err := wantData([]wire.Frame{f}, uint64(seen), []any{"one", binaryPayload}[seen-1]); err != nil {
							return err
						}
					default:
						return fmt.Errorf("unexpected event %s", shorten(ev.raw))
					}
				}
				return nil
			}},
	}
}

func kinds(frames []wire.Frame) []string {
	var s []string
	for i := range frames {
		b, _ := wire.AppendJSON(nil, &frames[i])
		s = append(s, shorten(string(b)))
	}
	return s
}

func seqList(frames []wire.Frame) string {
	var b []byte
	for i, f := range frames {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, byte(f.Kind))
		b = strconv.AppendUint(b, f.Seq, 10)
	}
	return string(b)
}

// fallbackSession starts a session on the fallback send checks use: a
// poll-open, or an SSE stream (closed by the returned function).
func (e *env) fallbackSession(ctx context.Context) (*session, func(), error) {
	if e.fallback() == wire.TransportPoll {
		s, err := e.pollOpen(ctx)
		return s, func() {}, err
	}
	s, err := e.newSSESession(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	return &s.session, s.st.close, nil
}

// pollData polls with ack until it has n data frames (the server may
// answer with acks first).
func (e *env) pollData(ctx context.Context, s *session, ack uint64, n int) ([]wire.Frame, error) {
	var got []wire.Frame
	deadline := time.Now().Add(e.patience)
	for len(got) < n {
		if time.Now().After(deadline) {
			return got, fmt.Errorf("%w: %d of %d data frames within %v (the data checks need an echoing endpoint; see --no-echo)", errNoAnswer, len(got), n, e.patience)
		}
		a, err := e.do(ctx, http.MethodGet, s.params(wire.ModePoll, wire.ParamAck, strconv.FormatUint(ack, 10)), keyHeader(s.key), nil, time.Duration(s.welcome.Poll)*time.Millisecond)
		if err != nil {
			return got, err
		}
		frames, err := a.frames()
		if err != nil {
			return got, fmt.Errorf("poll: %w", err)
		}
		for _, f := range frames {
			switch f.Kind {
			case wire.KindText, wire.KindBinary:
				got = append(got, f)
			case wire.KindAck:
			default:
				return got, fmt.Errorf("poll answered %v", kinds(frames))
			}
		}
		if len(got) > 0 && len(got) < n {
			ack = got[len(got)-1].Seq
			n -= len(got)
			// keep what came; ask for the rest above it
			rest, err := e.pollData(ctx, s, ack, n)
			return append(got, rest...), err
		}
	}
	return got, nil
}

// heldPoll is a poll running in the background.
type heldPoll struct {
	done chan struct{}
	a    *answer
	err  error
}

// holdPoll starts a poll with ack; the server should hold it.
func (e *env) holdPoll(ctx context.Context, s *session, ack uint64) *heldPoll {
	h := &heldPoll{done: make(chan struct{})}
	hold := time.Duration(s.welcome.Poll) * time.Millisecond
	go func() {
		defer close(h.done)
		h.a, h.err = e.do(ctx, http.MethodGet, s.params(wire.ModePoll, wire.ParamAck, strconv.FormatUint(ack, 10)), keyHeader(s.key), nil, hold)
	}()
	// A poll that the server answers at once comes back quickly; one it
	// holds does not. There is no event to wait for: give the request a
	// moment to arrive before the caller goes on.
	select {
	case <-h.done:
	case <-time.After(min(e.patience/10, 200*time.Millisecond)):
	}
	return h
}

// early returns the answer if the poll was already answered.
func (h *heldPoll) early() *answer {
	select {
	case <-h.done:
		if h.a == nil {
			return &answer{resp: &http.Response{Status: "no answer: " + fmt.Sprint(h.err)}}
		}
		return h.a
	default:
		return nil
	}
}

// frames waits up to d for the held poll's answer and parses it.
func (h *heldPoll) frames(ctx context.Context, d time.Duration) ([]wire.Frame, error) {
	select {
	case <-h.done:
	case <-time.After(d):
		return nil, fmt.Errorf("%w: the held poll was not answered within %v", errNoAnswer, d)
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", errNoAnswer, ctx.Err())
	}
	if h.err != nil {
		return nil, h.err
	}
	return h.a.frames()
}
