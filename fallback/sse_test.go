//go:build !js

package fallback

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/hostile"
	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// bufferingProxy puts a hostile.Buffering reverse proxy in front of the fake
// and returns a Dialer for the Tether URL through it.
func bufferingProxy(t *testing.T, f *fake) *transport.Dialer {
	t.Helper()
	p, err := hostile.NewBuffering(f.srv.URL, hostile.BufferingOptions{BackendTLS: &tls.Config{RootCAs: f.ca.Pool()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return f.dialer(t, p.URL()+"/rt?"+appQuery, nil)
}

// TestSSEBufferingProxy: behind a proxy that buffers responses the welcome
// never comes, and dialSSE gives up after FirstEventTimeout with a
// HandshakeError of class refused wrapping ErrNoFirstEvent; long-polling
// through the same proxy works, which is what the client falls back to.
func TestSSEBufferingProxy(t *testing.T) {
	f := newFake(t)
	d := bufferingProxy(t, f)
	o := testOptions(d, &core{})
	o.FirstEventTimeout = 200 * time.Millisecond
	start := time.Now()
	_, err := dialSSE(testCtx(t), o, link.Attach{})
	if !errors.Is(err, ErrNoFirstEvent) {
		t.Fatalf("dialSSE through a buffering proxy: %v, want ErrNoFirstEvent", err)
	}
	var he *transport.HandshakeError
	if !errors.As(err, &he) || he.Transport != wire.TransportSSE || transport.Classify(err) != transport.ClassRefused {
		t.Errorf("error %#v: want a HandshakeError for sse of class refused", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("gave up after %v", el)
	}
	if len(f.modeRequests(wire.ModeSSE)) != 1 {
		t.Errorf("the server did not see the SSE attach")
	}

	c := &core{}
	f.addText("through the proxy")
	l := dial(t, dialPoll, testOptions(d, c), link.Attach{})
	if got := describe(recv(t, l, c, 1)); got != "m1:through the proxy" {
		t.Errorf("long-poll through the buffering proxy: %q", got)
	}
}

// TestSSEDialContext: the caller's ctx bounds the wait for the welcome, and
// its end is not mistaken for a buffering proxy.
func TestSSEDialContext(t *testing.T) {
	f := newFake(t)
	o := testOptions(bufferingProxy(t, f), &core{})
	o.FirstEventTimeout = time.Hour
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := dialSSE(ctx, o, link.Attach{})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrNoFirstEvent) {
		t.Fatalf("error %v, want the ctx's deadline", err)
	}
}

// TestSSEStreamEnds: whatever ends the stream, Recv first hands out every
// frame before it, then reports the link dead with a telling error.
func TestSSEStreamEnds(t *testing.T) {
	errFrame := wire.Frame{Kind: wire.KindError, Error: &wire.Error{Code: wire.CodeSessionNotFound, Message: "gone", Status: 410}}
	cases := []struct {
		name   string
		tail   []wire.Frame
		frames string
		check  func(t *testing.T, err error)
	}{
		{"eof", nil, "m1:a m2:b", func(t *testing.T, err error) {
			if !errors.Is(err, io.EOF) {
				t.Errorf("error %v, want io.EOF", err)
			}
		}},
		{"superseded", []wire.Frame{{Kind: wire.KindSuperseded}}, "m1:a m2:b s", func(t *testing.T, err error) {
			if !errors.Is(err, io.EOF) {
				t.Errorf("error %v, want io.EOF", err)
			}
		}},
		{"error event", []wire.Frame{errFrame}, "m1:a m2:b", func(t *testing.T, err error) {
			var se *link.ServerError
			var he *transport.HandshakeError
			if !errors.As(err, &se) || se.Answer.Code != wire.CodeSessionNotFound || !errors.As(err, &he) {
				t.Errorf("error %v, want a ServerError session_not_found", err)
			}
		}},
		{"frame not allowed", []wire.Frame{{Kind: wire.KindPong, Seq: 1}}, "m1:a m2:b", func(t *testing.T, err error) {
			if !errors.Is(err, wire.ErrMalformed) {
				t.Errorf("error %v, want ErrMalformed", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.addText("a", "b")
			f.set(func(f *fake) { f.tail, f.endSSE = tc.tail, true })
			l := dial(t, dialSSE, testOptions(f.dialer(t, f.url(), nil), &core{}), link.Attach{})
			frames, err := recvErr(t, l)
			if got := describe(frames); got != tc.frames {
				t.Errorf("frames %q, want %q", got, tc.frames)
			}
			tc.check(t, err)
		})
	}
}

// TestSSEFirstEvent: the welcome may follow a byte order mark, comments and
// any line endings; anything but a welcome as the first event is not
// Tether (class refused).
func TestSSEFirstEvent(t *testing.T) {
	cases := []struct {
		name, junk string
		ok         bool
	}{
		{"plain", "", true},
		{"bom and comments", "\xEF\xBB\xBF:hello\r\n\r\n:hb\n\n", true},
		{"lone CRs", ":x\r\r", true},
		{"id without data", "id: 7\n\n", true},
		{"data first", "data: [\"m\",1,\"x\"]\n\n", false},
		{"garbage", "data: <html>\n\n", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.addText("after")
			f.set(func(f *fake) { f.sseJunk = tc.junk })
			c := &core{}
			l, err := dialSSE(testCtx(t), testOptions(f.dialer(t, f.url(), nil), c), link.Attach{})
			if !tc.ok {
				if err == nil || transport.Classify(err) != transport.ClassRefused {
					t.Fatalf("error %v, want a refusal", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if got := describe(recv(t, l, c, 1)); got != "m1:after" {
				t.Errorf("got %q", got)
			}
		})
	}
}
