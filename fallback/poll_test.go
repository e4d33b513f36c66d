//go:build !js

package fallback

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// pollAcks returns the tether_ack of every poll the fake saw.
func pollAcks(f *fake) string {
	var acks []string
	for _, r := range f.modeRequests(wire.ModePoll) {
		acks = append(acks, r.ack)
	}
	return strings.Join(acks, ",")
}

// TestPollAcksWhatWasTaken: a poll goes out only when the previous answer's
// frames are all handed out, and carries the recv the core has then.
func TestPollAcksWhatWasTaken(t *testing.T) {
	f := newFake(t)
	f.addText("one", "two", "three")
	c := &core{}
	l := dial(t, dialPoll, testOptions(f.dialer(t, f.url(), nil), c), link.Attach{})
	if got := describe(recv(t, l, c, 3)); got != "m1:one m2:two m3:three" {
		t.Errorf("frames %q", got)
	}
	f.addText("four")
	if got := describe(recv(t, l, c, 1)); got != "m4:four" {
		t.Errorf("frames %q", got)
	}
	if got := pollAcks(f); got != "0,3" {
		t.Errorf("poll acks %s, want 0,3", got)
	}
}

// TestPollHoldExpiry: a poll the server holds until its poll time and
// answers [] is followed by the next poll, until data comes.
func TestPollHoldExpiry(t *testing.T) {
	f := newFake(t)
	f.set(func(f *fake) {
		f.welcome.Poll = 30
		f.inject[3] = []string{"on the third poll"}
	})
	c := &core{}
	l := dial(t, dialPoll, testOptions(f.dialer(t, f.url(), nil), c), link.Attach{})
	if got := describe(recv(t, l, c, 1)); got != "m1:on the third poll" {
		t.Errorf("frames %q", got)
	}
	if got := pollAcks(f); got != "0,0,0" {
		t.Errorf("poll acks %s, want 0,0,0", got)
	}
}

// TestPollCuts: a poll answer cut on the way is polled for again with the
// same ack, at once and then after short pauses, and the server's resend
// means nothing is lost; only repeated failures kill the link.
func TestPollCuts(t *testing.T) {
	retries := len(pollRetryDelays)
	cases := []struct {
		cuts  int
		acks  string
		alive bool
	}{
		{1, "0,0", true},
		{retries, "0" + strings.Repeat(",0", retries), true},
		{retries + 1, "0" + strings.Repeat(",0", retries), false},
	}
	for _, tc := range cases {
		t.Run(itoa(uint64(tc.cuts)), func(t *testing.T) {
			f := newFake(t)
			f.addText("a", "b", "c")
			f.set(func(f *fake) { f.cutPolls = tc.cuts })
			c := &core{}
			l := dial(t, dialPoll, testOptions(f.dialer(t, f.url(), nil), c), link.Attach{})
			if tc.alive {
				if got := describe(recv(t, l, c, 3)); got != "m1:a m2:b m3:c" {
					t.Errorf("frames %q", got)
				}
			} else {
				frames, err := recvErr(t, l)
				var he *transport.HandshakeError
				if len(frames) != 0 || err == nil || errors.As(err, &he) {
					t.Errorf("after %d cuts: %q, %v; want a network error", tc.cuts, describe(frames), err)
				}
				if err := l.Send(testCtx(t), texts("x")); err == nil {
					t.Error("Send on a dead link succeeded")
				}
			}
			if got := pollAcks(f); got != tc.acks {
				t.Errorf("poll acks %s, want %s", got, tc.acks)
			}
		})
	}
}

// TestPollErrorAnswers: a 4xx answer to a poll is final (one poll, no
// retry) and as telling as an attach's; a 5xx is retried like a cut.
func TestPollErrorAnswers(t *testing.T) {
	cases := []struct {
		name   string
		fail   failure
		code   string
		status int
		polls  int
	}{
		{"session_not_found", failure{status: 410, body: `{"code":"session_not_found","message":"no such session","status":410}`}, wire.CodeSessionNotFound, 410, 1},
		{"bad_request", failure{status: 400, body: `{"code":"bad_request","message":"tether_ack","status":400}`}, wire.CodeBadRequest, 400, 1},
		{"internal", failure{status: 500, body: `{"code":"internal","message":"internal error","status":500}`}, wire.CodeInternal, 500, 1 + len(pollRetryDelays)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			l := dial(t, dialPoll, testOptions(f.dialer(t, f.url(), nil), &core{}), link.Attach{})
			f.set(func(f *fake) { f.fail[wire.ModePoll] = tc.fail })
			_, err := l.Recv(testCtx(t))
			var se *link.ServerError
			var he *transport.HandshakeError
			if !errors.As(err, &se) || se.Answer.Code != tc.code || !errors.As(err, &he) || he.StatusCode != tc.status {
				t.Fatalf("error %v, want code %s with status %d", err, tc.code, tc.status)
			}
			if n := len(f.modeRequests(wire.ModePoll)); n != tc.polls {
				t.Errorf("%d polls, want %d", n, tc.polls)
			}
			if _, err2 := l.Recv(testCtx(t)); err2 != err {
				t.Errorf("second Recv: %v, want the same error", err2)
			}
		})
	}
}

// TestPollTooManyPolls: a 429 too_many_polls is waited out (Retry-After)
// and the poll made again; the session is fine.
func TestPollTooManyPolls(t *testing.T) {
	f := newFake(t)
	f.addText("patience")
	c := &core{}
	l := dial(t, dialPoll, testOptions(f.dialer(t, f.url(), nil), c), link.Attach{})
	f.set(func(f *fake) {
		f.fail[wire.ModePoll] = failure{status: 429, body: `{"code":"too_many_polls","message":"poll rate limit","status":429,"retry":1000}`, times: 1}
	})
	start := time.Now()
	if got := describe(recv(t, l, c, 1)); got != "m1:patience" {
		t.Errorf("frames %q", got)
	}
	if el := time.Since(start); el < time.Second {
		t.Errorf("polled again after %v, before Retry-After", el)
	}
	if got := pollAcks(f); got != "0,0" {
		t.Errorf("poll acks %s, want 0,0", got)
	}
}

// TestPollNoAnswer: a poll with no answer within the welcome's poll +
// timeout is a dead link, not retried.
func TestPollNoAnswer(t *testing.T) {
	f := newFake(t)
	f.set(func(f *fake) { f.welcome.Poll, f.welcome.Timeout, f.mutePolls = 50, 100, true })
	l := dial(t, dialPoll, testOptions(f.dialer(t, f.url(), nil), &core{}), link.Attach{})
	start := time.Now()
	_, err := l.Recv(testCtx(t))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("error %v, want a liveness timeout", err)
	}
	if el := time.Since(start); el < 140*time.Millisecond {
		t.Errorf("dead after %v, before poll + timeout (150 ms)", el)
	}
	if n := len(f.modeRequests(wire.ModePoll)); n != 1 {
		t.Errorf("%d polls, want 1", n)
	}
}

// TestPollRecvContext: a Recv whose ctx ends returns, and the poll stays
// outstanding: the next Recv gets its answer, no second poll is made.
func TestPollRecvContext(t *testing.T) {
	f := newFake(t)
	c := &core{}
	l := dial(t, dialPoll, testOptions(f.dialer(t, f.url(), nil), c), link.Attach{})
	ctx, cancel := context.WithCancel(testCtx(t))
	go func() { // cancel once the poll is outstanding
		defer cancel()
		f.waitFor(ctx, wire.ModePoll, 1)
	}()
	if _, err := l.Recv(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Recv with a cancelled ctx: %v", err)
	}
	f.addText("late")
	if got := describe(recv(t, l, c, 1)); got != "m1:late" {
		t.Errorf("frames %q", got)
	}
	if got := pollAcks(f); got != "0" {
		t.Errorf("poll acks %s, want a single poll", got)
	}
}

// TestPollEnds: after a superseded or close frame the link polls no more;
// Recv then reports the end, and after a close Send still works (the
// client answers with its own close).
func TestPollEnds(t *testing.T) {
	for _, tail := range []wire.Frame{
		{Kind: wire.KindSuperseded},
		{Kind: wire.KindClose, Close: &wire.Close{Code: wire.CloseGoingAway, Reason: "restart"}},
	} {
		t.Run(tail.Kind.String(), func(t *testing.T) {
			f := newFake(t)
			f.addText("last")
			f.set(func(f *fake) { f.tail = []wire.Frame{tail} })
			c := &core{}
			l := dial(t, dialPoll, testOptions(f.dialer(t, f.url(), nil), c), link.Attach{})
			if got := describe(recv(t, l, c, 2)); got != "m1:last "+string(byte(tail.Kind)) {
				t.Errorf("frames %q", got)
			}
			if err := l.Send(testCtx(t), []wire.Frame{{Kind: wire.KindAck, Seq: 1}}); err != nil {
				t.Fatalf("Send after the end: %v", err)
			}
			frames, err := recvErr(t, l)
			if got := describe(frames); got != "a0" || err == nil {
				t.Errorf("after the end: %q, %v; want the send's answer, then an error", got, err)
			}
			if n := len(f.modeRequests(wire.ModePoll)); n != 1 {
				t.Errorf("%d polls, want 1", n)
			}
		})
	}
}
