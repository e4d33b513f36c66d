//go:build !js

package fallback

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// TestCloseLeavesNothing: Close, called twice at once while a Recv and a
// Send are blocked, makes both return net.ErrClosed, cancels their
// requests, and leaves no goroutine of the package or of the HTTP client.
func TestCloseLeavesNothing(t *testing.T) {
	for _, tr := range dialers {
		t.Run(tr.name, func(t *testing.T) {
			f := newFake(t)
			hold := make(chan struct{})
			defer close(hold)
			f.set(func(f *fake) { f.holdSend = hold })
			d := f.dialer(t, f.url(), nil)
			l := dial(t, tr.dial, testOptions(d, &core{}), link.Attach{})

			errs := make(chan error, 2)
			go func() { _, err := l.Recv(context.Background()); errs <- err }()
			go func() { errs <- l.Send(context.Background(), texts("stuck")) }()
			f.await(t, wire.ModeSend, 1)
			if tr.name == wire.TransportPoll {
				f.await(t, wire.ModePoll, 1)
			}

			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					if err := l.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				})
			}
			wg.Wait()
			for range 2 {
				if err := <-errs; !errors.Is(err, net.ErrClosed) {
					t.Errorf("blocked call returned %v, want net.ErrClosed", err)
				}
			}
			if _, err := l.Recv(context.Background()); !errors.Is(err, net.ErrClosed) {
				t.Errorf("Recv after Close: %v", err)
			}
			if err := l.Send(context.Background(), texts("late")); !errors.Is(err, net.ErrClosed) {
				t.Errorf("Send after Close: %v", err)
			}
			if l.Close() != nil || l.Welcome() == nil || l.Transport() != tr.name {
				t.Error("Close, Welcome or Transport misbehave after Close")
			}
			if stacks, ok := settle(runsPackageCode); !ok {
				t.Errorf("goroutines of the package left after Close:\n%s", stacks)
			}
			d.HTTPClient().CloseIdleConnections()
			if stacks, ok := settle(func(s string) bool { return strings.Contains(s, "net/http.(*persistConn)") }); !ok {
				t.Errorf("HTTP client connections left after Close:\n%s", stacks)
			}
		})
	}
}

// TestSendContext: a Send whose ctx ends returns ctx's error and leaves the
// link usable.
func TestSendContext(t *testing.T) {
	for _, tr := range dialers {
		t.Run(tr.name, func(t *testing.T) {
			f := newFake(t)
			hold := make(chan struct{})
			f.set(func(f *fake) { f.holdSend = hold })
			c := &core{}
			l := dial(t, tr.dial, testOptions(f.dialer(t, f.url(), nil), c), link.Attach{})
			ctx, cancel := context.WithCancel(testCtx(t))
			go func() {
				defer cancel()
				f.waitFor(ctx, wire.ModeSend, 1)
			}()
			if err := l.Send(ctx, texts("one")); !errors.Is(err, context.Canceled) {
				t.Fatalf("Send with a cancelled ctx: %v", err)
			}
			close(hold)
			if err := l.Send(testCtx(t), texts("one", "two")); err != nil {
				t.Fatalf("Send after a cancelled one: %v", err)
			}
			if got := describe(recv(t, l, c, 1)); got != "a2" {
				t.Errorf("frames %q, want a2", got)
			}
		})
	}
}

// TestSendFailureKillsLink: a send answered with an error fails Send with a
// telling error, and Recv reports the same: the link is dead.
func TestSendFailureKillsLink(t *testing.T) {
	for _, tr := range dialers {
		t.Run(tr.name, func(t *testing.T) {
			f := newFake(t)
			l := dial(t, tr.dial, testOptions(f.dialer(t, f.url(), nil), &core{}), link.Attach{})
			f.set(func(f *fake) {
				f.fail[wire.ModeSend] = failure{status: 413, body: `{"code":"message_too_large","message":"too big","status":413}`}
			})
			err := l.Send(testCtx(t), texts("x"))
			var se *link.ServerError
			if !errors.As(err, &se) || se.Answer.Code != wire.CodeMessageTooLarge {
				t.Fatalf("Send: %v, want message_too_large", err)
			}
			if _, rerr := l.Recv(testCtx(t)); !errors.As(rerr, &se) {
				t.Errorf("Recv after a failed Send: %v, want the send's error", rerr)
			}
		})
	}
}

// TestSendNoAnswer: a send whose answer does not come within the welcome's
// timeout after the body was written fails, and the link is dead.
func TestSendNoAnswer(t *testing.T) {
	for _, tr := range dialers {
		t.Run(tr.name, func(t *testing.T) {
			f := newFake(t)
			hold := make(chan struct{})
			defer close(hold)
			f.set(func(f *fake) { f.welcome.Timeout, f.hb, f.holdSend = 200, 20*time.Millisecond, hold })
			l := dial(t, tr.dial, testOptions(f.dialer(t, f.url(), nil), &core{}), link.Attach{})
			start := time.Now()
			err := l.Send(testCtx(t), texts("into the void"))
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Send: %v, want a timeout", err)
			}
			if el := time.Since(start); el < 190*time.Millisecond {
				t.Errorf("gave up after %v, before the 200 ms timeout", el)
			}
			if _, rerr := l.Recv(testCtx(t)); !errors.Is(rerr, os.ErrDeadlineExceeded) {
				t.Errorf("Recv after the failed Send: %v", rerr)
			}
		})
	}
}
