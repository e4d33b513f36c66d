package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/server"
)

// bufferingFront stands for a reverse proxy that refuses upgrades and
// buffers every answer until it is complete (an SSE stream's first event
// never gets through).
type bufferingFront struct{ next http.Handler }

type heldAnswer struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (a *heldAnswer) Header() http.Header         { return a.h }
func (a *heldAnswer) WriteHeader(code int)        { a.code = code }
func (a *heldAnswer) Write(p []byte) (int, error) { return a.body.Write(p) }
func (a *heldAnswer) Flush()                      {} // held all the same

func (f bufferingFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Upgrade") != "" {
		http.Error(w, "upgrades are not forwarded", http.StatusBadRequest)
		return
	}
	a := &heldAnswer{h: http.Header{}, code: http.StatusOK}
	f.next.ServeHTTP(a, r)
	for k, v := range a.h {
		w.Header()[k] = v
	}
	w.WriteHeader(a.code)
	w.Write(a.body.Bytes())
}

// logLines records the server's log messages.
type logLines struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }
func (l *logLines) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.msgs {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// Behind a buffering proxy the SSE attempt's welcome never arrives, so the
// client never learns that session's id; when it gives the attempt up (the
// session goes on over long-polling) it cancels it by its attempt id and the
// server ends that session at once (PROTOCOL.md 4.8), instead of keeping an
// orphan until NewSessionTTL.
func TestHeldBackSSEAttemptIsCancelled(t *testing.T) {
	logs := &logLines{}
	h := server.NewHandler(func(s *server.Session) { <-s.Context().Done() }, &server.Options{Logger: slog.New(logs)})
	srv := httptest.NewServer(bufferingFront{h})
	defer srv.Close()
	defer h.Shutdown(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &client.Options{FirstEventWait: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if tr := c.Transport(); tr != client.TransportLongPoll {
		t.Fatalf("connected over %s, want longpoll", tr)
	}
	for !logs.has("the client cancelled its attempt") {
		select {
		case <-ctx.Done():
			t.Fatalf("the held-back SSE attempt's session was never cancelled; %d sessions live", h.Sessions())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
