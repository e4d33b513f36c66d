package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/server"
)

// The "done when": a rolling restart of tether serve (SIGTERM, then
// start again on the same address and --self-signed DIR) under tether
// connect: the client says the session was lost, goes on with a new one,
// and every line keeps coming back; it never stops by itself.
func TestConnectSurvivesRollingRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	first := startServe(t, "--self-signed", dir)
	caBefore, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}

	conn := exec.Command(tetherBin, "connect", "-v", "--cacert", ca, "--timeout", "50s", first.url)
	conn.Env = cleanEnv()
	stdin, err := conn.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, errs := &lockedBuffer{}, &lockedBuffer{}
	conn.Stdout, conn.Stderr = out, errs
	if err := conn.Start(); err != nil {
		t.Fatal(err)
	}
	defer conn.Process.Kill()
	io.WriteString(stdin, "before\n")
	waitFor(t, func() bool { return out.String() == "before\n" }, "no echo before the restart:\n%s", errs.String)

	first.stop(t) // SIGTERM: Handler.Shutdown closes the session with 1001
	waitFor(t, func() bool { return strings.Contains(errs.String(), "event=disconnected") },
		"the client did not see the server go:\n%s", errs.String)
	second := startServe(t, "--self-signed", dir, "--listen", first.addr)
	if caAfter, _ := os.ReadFile(ca); !bytes.Equal(caAfter, caBefore) {
		t.Fatal("serve --self-signed minted a new CA on restart: clients trusting ca.pem are locked out")
	}
	waitFor(t, func() bool { return strings.Contains(errs.String(), "event=session_lost") },
		"the client did not report the lost session:\n%s", errs.String)
	io.WriteString(stdin, "after\n")
	waitFor(t, func() bool { return out.String() == "before\nafter\n" }, "no echo after the restart:\n%s", errs.String)
	stdin.Close()
	if err := conn.Wait(); err != nil {
		t.Fatalf("connect: %v\n%s", err, errs.String())
	}
	if strings.Contains(errs.String(), "event=closed error") || strings.Contains(errs.String(), "tether: ") {
		t.Fatalf("the client stopped or failed during the restart:\n%s", errs.String())
	}
	_ = second
}

// A plain WebSocket server: the message says to use --raw.
func TestConnectPlainServerSaysRaw(t *testing.T) {
	t.Parallel()
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := up.Upgrade(w, r, nil); err == nil {
			c.Close()
		}
	}))
	defer srv.Close()
	r := tether(t, runTimeout, "", "connect", "--transports", "websocket", "ws://"+strings.TrimPrefix(srv.URL, "http://")+"/")
	wantFailure(t, r, 1, "does not speak tether.v1", "--raw")
}

// A server that answers the first connect with 429 too_many_sessions and
// Retry-After: connect waits as asked and gets through, instead of exiting.
func TestConnectWaitsOutRetryAfter(t *testing.T) {
	t.Parallel()
	h := server.NewHandler(func(s *server.Session) {
		for {
			m, err := s.Receive(s.Context())
			if err != nil {
				return
			}
			s.Send(s.Context(), m)
		}
	}, nil)
	var refused atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refused.Add(1) == 1 {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"code":"too_many_sessions","message":"session limit reached","status":429,"retry":1000}`)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	defer h.Shutdown(context.Background())
	r := tether(t, runTimeout, "hi\n", "connect", "-v", "--count", "1", "ws://"+strings.TrimPrefix(srv.URL, "http://")+"/")
	if r.code != 0 || r.stdout != "hi\n" {
		t.Fatalf("want hi after waiting\n%s", r)
	}
	if !strings.Contains(r.stderr, "event=reconnecting") || !strings.Contains(r.stderr, "too_many_sessions") {
		t.Errorf("-v does not say it waited as the server asked\n%s", r)
	}
}
