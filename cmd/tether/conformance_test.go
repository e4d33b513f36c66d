package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tether-sdk/tether/server"
)

// TestConformanceAgainstServe runs the command against "tether serve" over
// TLS (trusted with --cacert), without the timed checks (serve's heartbeat
// is 25 s; internal/conformance runs every check against a short one).
func TestConformanceAgainstServe(t *testing.T) {
	s := startServe(t)
	r := tether(t, 60*time.Second, "", "conformance", "--cacert", s.ca(), "--max-wait", "0",
		"--only", "ws.handshake,ws.resume,ws.close,sse.handshake,sse.data,sse.resume,poll.handshake,poll.data,poll.resume,send.ack,http.session-not-found,ws.heartbeat", s.url)
	if r.code != exitOK {
		t.Fatalf("want exit 0\n%s", r)
	}
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "PASS  ") && !strings.HasPrefix(l, "SKIP  ") && !strings.HasPrefix(l, "      skipped: ") {
			t.Errorf("unexpected line %q\n%s", l, r)
		}
	}
	for _, want := range []string{"PASS  ws.resume", "§4.5, 7.2", "PASS  sse.resume", "PASS  poll.data", "SKIP  ws.heartbeat", "over --max-wait 0s"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q\n%s", want, r)
		}
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "0 failed") {
		t.Errorf("summary %q", last)
	}
}

// TestConformanceFailureExit1: a server answering 404 where PROTOCOL.md
// says 410 fails the check: the report says what the server did, and the
// exit code is 1.
func TestConformanceFailureExit1(t *testing.T) {
	h := server.NewHandler(echo, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&statusSwap{ResponseWriter: w}, r)
	}))
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Shutdown(ctx)
		srv.Close()
	}()
	r := tether(t, 60*time.Second, "", "conformance", "--only", "http.session-not-found,http.key", srv.URL)
	if r.code != exitFailure {
		t.Fatalf("want exit 1\n%s", r)
	}
	for _, want := range []string{"FAIL  http.session-not-found", "got: ", "expected 410 session_not_found, got 404", "PASS  http.key", "1 failed (1 MUST)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q\n%s", want, r)
		}
	}
	if !strings.HasPrefix(r.stderr, "tether: 1 MUST check(s) failed") {
		t.Errorf("stderr %q", r.stderr)
	}
}

// statusSwap answers 404 instead of 410 (a broken server).
type statusSwap struct{ http.ResponseWriter }

func (w *statusSwap) WriteHeader(code int) {
	if code == http.StatusGone {
		code = http.StatusNotFound
	}
	w.ResponseWriter.WriteHeader(code)
}

func TestConformanceUsage(t *testing.T) {
	for _, c := range []struct {
		args  []string
		words []string
	}{
		{[]string{"conformance"}, []string{"give the server's URL"}},
		{[]string{"conformance", "ws://127.0.0.1:1/", "ws://127.0.0.1:2/"}, []string{"one URL only"}},
		{[]string{"conformance", "--only", "nope", "ws://127.0.0.1:1/"}, []string{"--only", "nope"}},
		{[]string{"conformance", "--max-wait", "-1s", "ws://127.0.0.1:1/"}, []string{"--max-wait"}},
		{[]string{"conformance", "ws://example.com/"}, []string{"example.com"}},
		{[]string{"conformance", "--cacert", "/nonexistent.pem", "wss://127.0.0.1:1/"}, []string{"--cacert", "no such file"}},
	} {
		wantFailure(t, tether(t, 30*time.Second, "", c.args...), exitUsage, c.words...)
	}
	r := tether(t, 30*time.Second, "", "conformance", "--list")
	if r.code != exitOK || !strings.Contains(r.stdout, "ws.resume") || !strings.Contains(r.stdout, "§4.5, 7.2") {
		t.Errorf("conformance --list:\n%s", r)
	}
	r = tether(t, 30*time.Second, "", "help", "conformance")
	if r.code != exitOK || !strings.Contains(r.stdout, "Usage: tether conformance") || !strings.Contains(r.stdout, "--max-wait") {
		t.Errorf("help conformance:\n%s", r)
	}
}
