//go:build !js

package client

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tether-sdk/tether/internal/link"
)

// envSeen records the link.Env of every dial of the test transport
// "test-env" (registered once for the package's tests).
var envSeen struct {
	mu   sync.Mutex
	envs []*link.Env
}

var errTestEnv = errors.New("test-env: no link, the Env was recorded")

func init() {
	link.Register("test-env", func(_ context.Context, e *link.Env, _ link.Attach) (link.Link, error) {
		envSeen.mu.Lock()
		defer envSeen.mu.Unlock()
		envSeen.envs = append(envSeen.envs, e)
		return nil, errTestEnv
	})
}

// TestLinksShareLearnedPollHold: every link the client dials gets the
// client's PollHolds (package fallback's long-poll links start from and
// update it: fallback's TestPollHoldCarriedToNextLink), so that what one
// long-poll link learned is handed to the next; forgetPath (a network
// change) drops it.
func TestLinksShareLearnedPollHold(t *testing.T) {
	o, err := (&Options{}).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ld, err := newLinkDialer("ws://127.0.0.1:9/rt", &o)
	if err != nil {
		t.Fatal(err)
	}
	envSeen.mu.Lock()
	from := len(envSeen.envs)
	envSeen.mu.Unlock()
	for range 2 {
		if _, err := ld.DialLink(t.Context(), "test-env", nil, link.Attach{}); !errors.Is(err, errTestEnv) {
			t.Fatalf("dial: %v", err)
		}
	}
	envSeen.mu.Lock()
	envs := envSeen.envs[from:]
	envSeen.mu.Unlock()
	if len(envs) != 2 || envs[0].PollHolds == nil || envs[0].PollHolds != envs[1].PollHolds {
		t.Fatalf("the links' PollHolds: %d dials, want two sharing one (not nil)", len(envs))
	}
	learnt := link.HoldState{Hold: 2250 * time.Millisecond, Cut: 3 * time.Second, Firm: true}
	envs[0].PollHolds.Store(learnt)
	if s, ok := envs[1].PollHolds.Load(); !ok || s != learnt {
		t.Fatalf("the next link sees %+v, %v; want %+v", s, ok, learnt)
	}
	ld.(interface{ forgetPath() }).forgetPath()
	if s, ok := envs[1].PollHolds.Load(); ok {
		t.Fatalf("after a network change the links still see %+v", s)
	}
}

// forgettingDialer is a fakeDialer that counts forgetPath calls.
type forgettingDialer struct {
	*fakeDialer
	forgot atomic.Int32
}

func (d *forgettingDialer) forgetPath() { d.forgot.Add(1) }

// TestNetworkChangedForgetsPath: NetworkChanged drops what the links
// learned about the old network's way (the long-poll hold), also while
// paused.
func TestNetworkChangedForgetsPath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &forgettingDialer{fakeDialer: &fakeDialer{dial: func(_ context.Context, n int, tr string, a link.Attach) (link.Link, error) {
			return newFakeLink(tr, "s1", a.SID != ""), nil
		}}}
		c, _ := dialFake(t, d.fakeDialer, func(o *Options) { o.linkDialer = d })
		c.NetworkChanged()
		synctest.Wait()
		c.Pause()
		synctest.Wait()
		c.NetworkChanged()
		synctest.Wait()
		if n := d.forgot.Load(); n != 2 {
			t.Fatalf("forgetPath called %d times by two NetworkChanged, want 2", n)
		}
	})
}
