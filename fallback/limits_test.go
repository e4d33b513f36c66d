//go:build !js

package fallback

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// A hostile server for the bounds (issue 10): it welcomes with max = 1 GiB
// and then answers with more than the client's own bound allows, streamed
// (never allocated), counting the body bytes it manages to write.

const (
	ownMax  = 1000           // the client's dialOptions.MaxMessage in these tests
	offered = 256 << 20      // what the hostile answers offer at most
	hugeMax = int64(1 << 30) // the welcome's max
)

type attacker struct {
	srv     *httptest.Server
	written atomic.Int64 // body bytes written
	done    chan struct{}
}

// newHostile serves attack on every request of mode attackMode; SSE and
// poll-open attaches of other modes are welcomed with max = 1 GiB.
func newAttacker(t *testing.T, attackMode string, attack func(h *attacker, w http.ResponseWriter, r *http.Request)) *attacker {
	h := &attacker{done: make(chan struct{}, 16)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mode := r.URL.Query().Get(wire.ParamMode)
		welcome := fmt.Sprintf(`["w",{"v":1,"sid":"s1","key":"k1","resumed":false,"ack":0,"hb":25000,"timeout":45000,"ttl":120000,"max":%d,"poll":25000,"transports":["sse","longpoll"]}]`, hugeMax)
		switch {
		case mode == attackMode:
			defer func() { h.done <- struct{}{} }()
			attack(h, w, r)
		case mode == wire.ModePollOpen:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "["+welcome+"]")
		case mode == wire.ModeSSE:
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: "+welcome+"\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// stream writes prefix, then chunk over and over until offered bytes are
// written or the client is gone.
func (h *attacker) stream(w http.ResponseWriter, prefix string, chunk []byte) {
	n, err := io.WriteString(w, prefix)
	h.written.Add(int64(n))
	for err == nil && h.written.Load() < offered {
		n, err = w.Write(chunk)
		h.written.Add(int64(n))
	}
}

func (h *attacker) testOptions(t *testing.T) *dialOptions {
	d, err := transport.New(h.srv.URL+"/rt", &transport.Config{Proxy: transport.NoProxy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.HTTPClient().CloseIdleConnections)
	o := testOptions(d, &core{})
	o.MaxMessage = ownMax
	return o
}

// wantLimit checks err is the LimitError of limit for the client's own max,
// and that the server could not write its whole answer.
func (h *attacker) wantLimit(t *testing.T, err error, what string, limit int64) {
	t.Helper()
	var le *transport.LimitError
	if !errors.As(err, &le) || !errors.Is(err, transport.ErrLimit) {
		t.Fatalf("got %v, want a *transport.LimitError", err)
	}
	if le.Limit != limit || !strings.Contains(le.What, what) {
		t.Errorf("LimitError %q over %d bytes, want %q over %d", le.What, le.Limit, what, limit)
	}
	if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("the client's largest message (%d bytes)", ownMax)) ||
		!strings.Contains(msg, "MaxMessageBytes") {
		t.Errorf("message %q does not say which bound and how to raise it", msg)
	}
	<-h.done
	if n := h.written.Load(); n >= offered {
		t.Errorf("the server wrote all %d bytes: the client read past its bound", n)
	}
}

// A welcome's max of 1 GiB does not raise the client's bound on a poll
// answer: it stays 6 x the client's own max + 64 KiB.
func TestPollAnswerBoundedByOwnMax(t *testing.T) {
	h := newAttacker(t, wire.ModePoll, func(h *attacker, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		h.stream(w, `[["m",1,"`, bytes.Repeat([]byte("a"), 32<<10))
	})
	l := dial(t, dialPoll, h.testOptions(t), link.Attach{})
	_, err := l.Recv(testCtx(t))
	h.wantLimit(t, err, "the poll answer", bodyLimit(ownMax))
	if !errors.Is(err, wire.ErrTooLarge) {
		t.Errorf("%v does not match wire.ErrTooLarge (no retry makes it smaller)", err)
	}
}

// An answer whose Content-Length is over the bound is refused before a byte
// of its body is read.
func TestPollAnswerContentLengthRefused(t *testing.T) {
	h := newAttacker(t, wire.ModePoll, func(h *attacker, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(1<<30))
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the body never comes
	})
	l := dial(t, dialPoll, h.testOptions(t), link.Attach{})
	_, err := l.Recv(testCtx(t))
	h.wantLimit(t, err, "by its Content-Length", bodyLimit(ownMax))
}

// An SSE line, or an event made of many short lines, is bounded by the
// client's own max too.
func TestSSEBoundedByOwnMax(t *testing.T) {
	cases := []struct {
		name   string
		prefix string
		chunk  []byte
		what   string
	}{
		{"one endless line", `data: ["m",1,"`, bytes.Repeat([]byte("a"), 32<<10), "a line of the event stream"},
		{"an endless event", "", bytes.Repeat([]byte("data: aaaaaaaaaaaaaaaa\n"), 1<<10), "an event of the event stream"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newAttacker(t, wire.ModeSSE, func(h *attacker, w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, `data: ["w",{"v":1,"sid":"s1","key":"k1","resumed":false,"ack":0,"hb":25000,"timeout":45000,"ttl":120000,"max":1073741824,"poll":25000,"transports":["sse"]}]`+"\n\n")
				h.stream(w, tc.prefix, tc.chunk)
			})
			l := dial(t, dialSSE, h.testOptions(t), link.Attach{})
			_, err := l.Recv(testCtx(t))
			h.wantLimit(t, err, tc.what, bodyLimit(ownMax))
		})
	}
}

// An error answer's body is read up to transport.MaxErrorBody only.
func TestErrorBodyBounded(t *testing.T) {
	for _, tr := range dialers {
		mode := wire.ModeSSE
		if tr.name == wire.TransportPoll {
			mode = wire.ModePollOpen
		}
		t.Run(tr.name, func(t *testing.T) {
			h := newAttacker(t, mode, func(h *attacker, w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusInternalServerError)
				h.stream(w, "", bytes.Repeat([]byte("x"), 32<<10))
			})
			_, err := tr.dial(testCtx(t), h.testOptions(t), link.Attach{})
			var he *transport.HandshakeError
			if !errors.As(err, &he) || he.StatusCode != http.StatusInternalServerError {
				t.Fatalf("got %v, want the 500's HandshakeError", err)
			}
			if len(he.Body) > transport.MaxErrorBody {
				t.Errorf("kept %d bytes of the body, want at most %d", len(he.Body), transport.MaxErrorBody)
			}
			<-h.done
			if n := h.written.Load(); n >= offered {
				t.Errorf("the server wrote all %d bytes: the client read the whole error body", n)
			}
		})
	}
}

// An answer's header is bounded by transport.MaxResponseHeader, and the
// failure is a LimitError.
func TestAnswerHeaderBounded(t *testing.T) {
	for _, tr := range dialers {
		mode := wire.ModeSSE
		if tr.name == wire.TransportPoll {
			mode = wire.ModePollOpen
		}
		t.Run(tr.name, func(t *testing.T) {
			h := newAttacker(t, mode, func(h *attacker, w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Big", strings.Repeat("h", transport.MaxResponseHeader))
				w.WriteHeader(http.StatusOK)
			})
			_, err := tr.dial(testCtx(t), h.testOptions(t), link.Attach{})
			var le *transport.LimitError
			if !errors.As(err, &le) || le.Limit != transport.MaxResponseHeader || le.Transport != tr.name {
				t.Fatalf("got %v, want a LimitError of MaxResponseHeader", err)
			}
		})
	}
}
