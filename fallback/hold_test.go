package fallback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// proxied is a fake server that holds idle polls up to the poll's
// tether_hold (capped at its own poll), behind a proxy that cuts requests
// idle for cutAt with a 504. It counts what happened. Its clock is
// synctest's: the tests run minutes of idle polling at once.
type proxied struct {
	serverHold time.Duration // the server's poll (the welcome's)
	honour     bool          // the server knows tether_hold

	mu    sync.Mutex
	cutAt time.Duration // the proxy's idle timeout; 0: no proxy
	polls int           // polls answered or cut
	cuts  int           // polls cut (504)
	asked []time.Duration
}

func (p *proxied) serve(ctx context.Context, q *request) (*answer, error) {
	u, err := url.Parse(q.url)
	if err != nil {
		return nil, err
	}
	v := u.Query()
	switch v.Get(wire.ParamMode) {
	case wire.ModePollOpen:
		return okAnswer("application/json", fmt.Sprintf(`[["w",{"v":1,"sid":"S","key":"K","resumed":false,"ack":0,`+
			`"hb":25000,"timeout":45000,"ttl":120000,"max":1048576,"poll":%d,"transports":["longpoll"]}]]`, p.serverHold.Milliseconds())), nil
	case wire.ModePoll:
	default:
		return nil, fmt.Errorf("unexpected request %s", q.url)
	}
	hold := p.serverHold
	if v.Has(wire.ParamHold) {
		ms, err := strconv.ParseInt(v.Get(wire.ParamHold), 10, 64)
		if err != nil {
			return nil, err
		}
		if p.honour {
			hold = min(hold, time.Duration(ms)*time.Millisecond)
		}
	}
	p.mu.Lock()
	cutAt := p.cutAt
	p.asked = append(p.asked, hold)
	p.mu.Unlock()
	cut := cutAt > 0 && hold >= cutAt
	wait := hold
	if cut {
		wait = cutAt
	}
	select {
	case <-time.After(wait):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.polls++
	if cut {
		p.cuts++
		return nil, &transport.HandshakeError{Transport: q.name, URL: q.url, StatusCode: 504, Status: "504 Gateway Time-out",
			Body: []byte("<html>504</html>"), Class: transport.ClassifyStatus(504, false)}
	}
	return okAnswer("application/json", "[]"), nil
}

// counts returns the polls and cuts so far.
func (p *proxied) counts() (polls, cuts int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.polls, p.cuts
}

// attach attaches a long-poll link through p.
func (p *proxied) attach(t *testing.T) link.Link {
	l, err := attachPoll(context.Background(), fakeConfig(t, p.serve), link.Attach{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// idleFor keeps l polling, with nothing to receive, for d, and returns
// Recv's error (nil while the link lives).
func (p *proxied) idleFor(l link.Link, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	f, err := l.Recv(ctx)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("Recv on an idle link: %v, %v", f.Kind, err)
}

// TestPollHoldLearnsProxyTimeout: the server holds polls 10 s, a proxy cuts
// them at 3 s (nginx's proxy_read_timeout). The client learns: two cut
// polls (the first, and one probe above what it learnt), then none for the
// ten minutes after, and the link never dies.
func TestPollHoldLearnsProxyTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &proxied{serverHold: 10 * time.Second, honour: true, cutAt: 3 * time.Second}
		l := p.attach(t)
		defer l.Close()
		if err := p.idleFor(l, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
		polls, learning := p.counts()
		t.Logf("first 2 minutes: %d polls, %d cut", polls, learning)
		if learning == 0 || learning > 2 {
			t.Fatalf("%d polls cut in the first 2 minutes of %d polls, want 1 or 2", learning, polls)
		}
		if err := p.idleFor(l, 10*time.Minute); err != nil {
			t.Fatal(err)
		}
		after, cuts := p.counts()
		if cuts != learning {
			t.Fatalf("%d more polls cut in the 10 minutes after learning (of %d polls)", cuts-learning, after-polls)
		}
		if after-polls < 10*60/3 {
			t.Fatalf("only %d polls in 10 minutes: the holds are not under 3 s and near it", after-polls)
		}
		for _, h := range p.asked {
			if h < holdFloor || h > p.serverHold {
				t.Fatalf("a poll asked for %v, outside [%v, %v]", h, holdFloor, p.serverHold)
			}
		}
	})
}

// TestPollHoldFixedBefore: the behaviour before adaptive holds, and still
// with a server that does not know tether_hold: every idle poll is cut,
// and four cuts in a row kill the link.
func TestPollHoldFixedBefore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &proxied{serverHold: 10 * time.Second, honour: false, cutAt: 3 * time.Second}
		l := p.attach(t)
		defer l.Close()
		if err := p.idleFor(l, time.Minute); err == nil {
			t.Fatal("the link survived a minute of cut polls")
		}
		polls, cuts := p.counts()
		if cuts != polls || cuts != len(pollRetryDelays)+1 {
			t.Fatalf("%d of %d polls cut before the link died, want all %d", cuts, polls, len(pollRetryDelays)+1)
		}
	})
}

// TestPollHoldRecovers: one cut (a proxy that went away, or a one-off
// 504) shortens the hold; polls that survive lengthen it step by step
// back to the server's poll.
func TestPollHoldRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &proxied{serverHold: 25 * time.Second, honour: true, cutAt: 6 * time.Second}
		l := p.attach(t)
		defer l.Close()
		if err := p.idleFor(l, 7*time.Second); err != nil {
			t.Fatal(err)
		}
		p.mu.Lock()
		p.cutAt = 0
		p.mu.Unlock()
		if err := p.idleFor(l, 30*time.Minute); err != nil {
			t.Fatal(err)
		}
		polls, cuts := p.counts()
		if cuts != 1 {
			t.Fatalf("%d polls cut, want 1", cuts)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		back := 0 // the first poll from which every poll asks for the server's poll
		for i, h := range p.asked {
			if h < p.serverHold {
				back = i + 1
			}
		}
		if back == 0 || back >= len(p.asked) || back > 60 {
			t.Fatalf("the hold came back to the server's poll at poll %d of %d (asked %v)", back, polls, p.asked)
		}
	})
}

// TestAdaptiveHoldIgnoresWhatTeachesNothing: a failure sooner than
// holdFloor (not an idle timeout) or after the hold ran out changes
// nothing.
func TestAdaptiveHoldIgnoresWhatTeachesNothing(t *testing.T) {
	h := newAdaptiveHold(25*time.Second, nil)
	if h.cutAfter(25*time.Second, 200*time.Millisecond) || h.cutAfter(25*time.Second, 25*time.Second) || h.next() != 25*time.Second {
		t.Fatalf("hold %v after failures that teach nothing", h.next())
	}
	if !h.cutAfter(25*time.Second, 3*time.Second) || h.next() != 1500*time.Millisecond {
		t.Fatalf("hold %v after a cut at 3 s, want 1.5 s", h.next())
	}
	small := newAdaptiveHold(500*time.Millisecond, nil) // a server's poll under holdFloor
	if small.cutAfter(500*time.Millisecond, 400*time.Millisecond) || small.next() != 500*time.Millisecond {
		t.Fatalf("hold %v", small.next())
	}
}

// TestIsCut: what counts as a cut of the way, and what is the server's
// answer.
func TestIsCut(t *testing.T) {
	he := func(code int) error {
		return &transport.HandshakeError{StatusCode: code, Class: transport.ClassifyStatus(code, false)}
	}
	for _, tc := range []struct {
		err error
		cut bool
	}{
		{he(504), true},
		{he(502), true},
		{fmt.Errorf("fallback: longpoll: %w", io.ErrUnexpectedEOF), true},
		{he(503), false},
		{he(429), false},
		{&link.ServerError{Answer: wire.Error{Code: wire.CodeSessionNotFound}, Err: he(410)}, false},
		{fmt.Errorf("x: %w", wire.ErrMalformed), false},
		{&transport.LimitError{Err: wire.ErrTooLarge}, false},
		{context.Canceled, false},
	} {
		if got := isCut(tc.err); got != tc.cut {
			t.Errorf("isCut(%v) = %v", tc.err, got)
		}
	}
}

// attachWith attaches a long-poll link through p that shares mem, the
// client's learned hold, with the client's other links.
func (p *proxied) attachWith(t *testing.T, mem *link.PollHolds) link.Link {
	c := fakeConfig(t, p.serve)
	c.holds = mem
	l, err := attachPoll(context.Background(), c, link.Attach{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestPollHoldCarriedToNextLink: what one link learned about a proxy that
// cuts idle requests at 3 s belongs to the client: its next long-poll link
// (a reconnect, a switch back to long-polling) asks for the learned hold
// from its first poll on, and pays no cut poll again; a client with
// nothing learned, or that forgot it (a network change), starts at the
// server's poll.
func TestPollHoldCarriedToNextLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &proxied{serverHold: 10 * time.Second, honour: true, cutAt: 3 * time.Second}
		mem := &link.PollHolds{}
		first := p.attachWith(t, mem)
		if err := p.idleFor(first, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
		first.Close()
		p.mu.Lock()
		n, learning, last := len(p.asked), p.cuts, p.asked[len(p.asked)-1]
		p.mu.Unlock()
		if learning != 2 || last >= p.cutAt {
			t.Fatalf("the first link: %d polls cut, the last asked for %v; want 2 cut, then holds under %v", learning, last, p.cutAt)
		}

		next := p.attachWith(t, mem)
		if err := p.idleFor(next, 10*time.Minute); err != nil {
			t.Fatal(err)
		}
		next.Close()
		p.mu.Lock()
		firstAsk, cuts := p.asked[n], p.cuts
		p.mu.Unlock()
		if firstAsk != last {
			t.Fatalf("the next link's first poll asked for %v, want the learned %v (the server's poll is %v)", firstAsk, last, p.serverHold)
		}
		if cuts != learning {
			t.Fatalf("the next link had %d polls cut, want none", cuts-learning)
		}

		for _, tc := range []struct {
			name string
			mem  *link.PollHolds
		}{{"nothing kept", nil}, {"nothing learned", &link.PollHolds{}}, {"forgotten", mem}} {
			tc.mem.Forget()
			p.mu.Lock()
			n = len(p.asked)
			p.mu.Unlock()
			l := p.attachWith(t, tc.mem)
			if err := p.idleFor(l, time.Second); err != nil {
				t.Fatal(err)
			}
			l.Close()
			p.mu.Lock()
			got := p.asked[n]
			p.mu.Unlock()
			if got != p.serverHold {
				t.Fatalf("%s: the first poll asked for %v, want the server's poll %v", tc.name, got, p.serverHold)
			}
		}
	})
}

// TestAdaptiveHoldRestoreBounds: a learned state is taken within this
// link's bounds: not above 3/4 of the cut age nor the server's poll, not
// under holdFloor; a cut age beyond a shorter server poll teaches nothing.
func TestAdaptiveHoldRestoreBounds(t *testing.T) {
	mem := &link.PollHolds{}
	mem.Store(link.HoldState{Hold: 2250 * time.Millisecond, Cut: 3 * time.Second, Firm: true})
	if h := newAdaptiveHold(10*time.Second, mem); h.next() != 2250*time.Millisecond || !h.firm {
		t.Fatalf("restored hold %v (firm %v), want 2.25 s, firm", h.next(), h.firm)
	}
	if h := newAdaptiveHold(2*time.Second, mem); h.next() != 2*time.Second || h.learned() {
		t.Fatalf("with a 2 s server poll: hold %v, learned %v; want 2 s, nothing learned", h.next(), h.learned())
	}
	mem.Store(link.HoldState{Hold: 10 * time.Second, Cut: 3 * time.Second})
	if h := newAdaptiveHold(25*time.Second, mem); h.next() != 2250*time.Millisecond {
		t.Fatalf("hold %v, want the bound 2.25 s", h.next())
	}
	mem.Store(link.HoldState{Hold: 100 * time.Millisecond, Cut: 3 * time.Second})
	if h := newAdaptiveHold(25*time.Second, mem); h.next() != holdFloor {
		t.Fatalf("hold %v, want the floor %v", h.next(), holdFloor)
	}
	h := newAdaptiveHold(25*time.Second, mem)
	h.cutAfter(25*time.Second, 4*time.Second)
	if s, ok := mem.Load(); !ok || s.Cut != 4*time.Second || s.Hold != 2*time.Second || !s.Firm {
		t.Fatalf("stored %+v after a second cut at 4 s", s)
	}
}
