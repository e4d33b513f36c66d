package main

import (
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/hostile"
)

const runTimeout = 60 * time.Second

// The "done when": echo hi through serve --self-signed prints hi,
// over each transport, and -v says which transport carried it.
func TestConnectEchoEachTransport(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	for _, tr := range []string{"websocket", "sse", "longpoll"} {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			r := tether(t, runTimeout, "hi\n", "connect", "--cacert", s.ca(), "--count", "1", "--transports", tr, s.url)
			if r.code != 0 || r.stdout != "hi\n" || r.stderr != "" {
				t.Fatalf("want hi on stdout, nothing on stderr, exit 0\n%s", r)
			}
			r = tether(t, runTimeout, "hi\n", "connect", "-v", "--cacert", s.ca(), "--count", "1", "--transports", tr, s.url)
			if r.code != 0 || r.stdout != "hi\n" {
				t.Fatalf("with -v: want hi, exit 0\n%s", r)
			}
			if !strings.Contains(r.stderr, "event=connected transport="+tr+" ") {
				t.Errorf("-v does not log event=connected transport=%s\n%s", tr, r)
			}
		})
	}
}

// --count waits for that many messages, printed one per line, in order; a
// last line without a line ending is sent too, and \r\n endings are taken
// off.
func TestConnectCountSeveralLines(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	r := tether(t, runTimeout, "one\r\ntwo\n\nfour", "connect", "--cacert", s.ca(), "--count", "4", s.url)
	if r.code != 0 || r.stdout != "one\ntwo\n\nfour\n" {
		t.Fatalf("want the four lines back in order\n%s", r)
	}
	// Flags may follow the URL.
	r = tether(t, runTimeout, "late\n", "connect", s.url, "--cacert", s.ca(), "--count", "1")
	if r.code != 0 || r.stdout != "late\n" {
		t.Fatalf("flags after the URL: want late\n%s", r)
	}
	// --count below what arrives: only that many are printed.
	r = tether(t, runTimeout, "a\nb\nc\n", "connect", "--cacert", s.ca(), "--count", "2", s.url)
	if r.code != 0 || r.stdout != "a\nb\n" {
		t.Fatalf("want exactly a and b\n%s", r)
	}
}

// At stdin EOF without --count the messages are acknowledged and the
// session closes cleanly: exit 0, nothing on stderr, and the server saw the
// client close it.
func TestConnectEOFClosesCleanly(t *testing.T) {
	t.Parallel()
	s := startServe(t, "-v")
	r := tether(t, runTimeout, "x\ny\n", "connect", "--cacert", s.ca(), s.url)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("want exit 0 and a quiet stderr\n%s", r)
	}
	waitFor(t, func() bool { return strings.Contains(s.log(), `reason="client closed" by=client`) },
		"the server did not see the client close the session:\n%s", s.log)
}

// Chat mode: a message from one client reaches the others.
func TestConnectChat(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--mode", "chat")
	listener := exec.Command(tetherBin, "connect", "-v", "--cacert", s.ca(), "--count", "1", "--timeout", "50s", s.url)
	listener.Env = cleanEnv()
	stdin, err := listener.StdinPipe() // kept open: the listener only listens
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	var out strings.Builder
	listener.Stdout = &out
	errs := &lockedBuffer{}
	listener.Stderr = errs
	if err := listener.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Contains(errs.String(), "event=connected") },
		"the listener did not connect:\n%s", errs.String)

	r := tether(t, runTimeout, "hello, room\n", "connect", "--cacert", s.ca(), "--count", "1", s.url)
	if r.code != 0 || r.stdout != "hello, room\n" {
		t.Fatalf("the sender should get its own message back\n%s", r)
	}
	if err := listener.Wait(); err != nil {
		t.Fatalf("listener: %v\n%s", err, errs.String())
	}
	if out.String() != "hello, room\n" {
		t.Fatalf("the listener got %q", out.String())
	}
}

// serve --plaintext (behind a TLS-terminating proxy) with --path and a
// subset of transports; ws:// is fine for a loopback host.
func TestConnectPlaintextPathTransports(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--plaintext", "--path", "/live", "--transports", "sse,longpoll")
	if !strings.HasPrefix(s.url, "ws://") || !strings.HasSuffix(s.url, "/live") {
		t.Fatalf("serve printed %q", s.url)
	}
	r := tether(t, runTimeout, "hi\n", "connect", "-v", "--count", "1", s.url)
	if r.code != 0 || r.stdout != "hi\n" {
		t.Fatalf("want hi\n%s", r)
	}
	if !strings.Contains(r.stderr, "event=connected transport=sse ") {
		t.Errorf("the server offers no websocket: want a fallback to sse\n%s", r)
	}
	// Another path is not the endpoint.
	r = tether(t, runTimeout, "", "connect", "ws://"+s.addr+"/elsewhere")
	wantFailure(t, r, 1, "404")
}

// --proxy goes through an HTTP CONNECT proxy; a proxy that wants
// credentials gets a line that says 407 and proxy authentication.
func TestConnectProxy(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	open, err := hostile.NewForwardProxy(hostile.ProxyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	r := tether(t, runTimeout, "hi\n", "connect", "--proxy", open.URL(), "--cacert", s.ca(), "--count", "1", s.url)
	if r.code != 0 || r.stdout != "hi\n" {
		t.Fatalf("want hi through the proxy\n%s", r)
	}
	if open.Tunnels() < 1 {
		t.Errorf("the proxy opened no tunnel")
	}
	if target, _ := open.LastConnect(); target != s.addr {
		t.Errorf("the proxy was asked for %q, want %q", target, s.addr)
	}

	auth, err := hostile.NewForwardProxy(hostile.ProxyOptions{User: "alice", Password: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	r = tether(t, runTimeout, "hi\n", "connect", "--proxy", auth.URL(), "--cacert", s.ca(), "--count", "1", s.url)
	wantFailure(t, r, 1, "407", "proxy authentication")
	withCreds := strings.Replace(auth.URL(), "http://", "http://alice:secret@", 1)
	r = tether(t, runTimeout, "hi\n", "connect", "--proxy", withCreds, "--cacert", s.ca(), "--count", "1", s.url)
	if r.code != 0 || r.stdout != "hi\n" {
		t.Fatalf("want hi with the proxy's credentials\n%s", r)
	}
}

// The proxy comes from the environment by default (a bad HTTPS_PROXY is
// reported by name), and --proxy none ignores the environment.
func TestConnectProxyFromEnvironment(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	env := []string{"HTTPS_PROXY=socks5://127.0.0.1:1080"}
	r := tetherEnv(t, env, runTimeout, "hi\n", "connect", "--cacert", s.ca(), "--count", "1", s.url)
	wantFailure(t, r, 2, "HTTPS_PROXY", "SOCKS")
	r = tetherEnv(t, env, runTimeout, "hi\n", "connect", "--proxy", "none", "--cacert", s.ca(), "--count", "1", s.url)
	if r.code != 0 || r.stdout != "hi\n" {
		t.Fatalf("--proxy none should ignore HTTPS_PROXY\n%s", r)
	}
}

// Exit codes: 2 for bad usage, 1 for failures, each with one "tether: "
// line naming the cause, never a stack trace.
func TestConnectExitCodes(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello\n"), 0o600)
	closed := closedPort(t)

	usage := []struct {
		name  string
		args  []string
		words []string
	}{
		{"unknown flag", []string{"connect", "--bogus", s.url}, []string{"-bogus"}},
		{"no URL", []string{"connect"}, []string{"URL"}},
		{"two URLs", []string{"connect", s.url, s.url}, []string{"one URL"}},
		{"bad scheme", []string{"connect", "ftp://example.com/"}, []string{"bad URL", "scheme"}},
		{"no host", []string{"connect", "wss:///path"}, []string{"bad URL", "host"}},
		{"plaintext to a remote host", []string{"connect", "ws://example.com/"}, []string{"bad URL", "wss://example.com/"}},
		{"bad duration", []string{"connect", "--timeout", "soon", s.url}, []string{"timeout"}},
		{"negative count", []string{"connect", "--count", "-1", s.url}, []string{"count"}},
		{"unknown transport", []string{"connect", "--transports", "pigeon", s.url}, []string{"pigeon"}},
		{"bad pin", []string{"connect", "--pin", "md5/abc", s.url}, []string{"pin"}},
		{"short pin", []string{"connect", "--pin", "sha256/abc", s.url}, []string{"pin", "32 bytes"}},
		{"bad header", []string{"connect", "--header", "no colon", s.url}, []string{"header"}},
		{"missing cacert", []string{"connect", "--cacert", missing, s.url}, []string{missing, "no such file"}},
		{"cacert not PEM", []string{"connect", "--cacert", notPEM, s.url}, []string{notPEM, "no PEM certificate"}},
		{"cert without key", []string{"connect", "--cert", notPEM, s.url}, []string{"--key"}},
		{"bad proxy", []string{"connect", "--proxy", "socks5://127.0.0.1:1080", s.url}, []string{"proxy", "SOCKS"}},
		{"raw with fallbacks", []string{"connect", "--raw", "--transports", "sse", s.url}, []string{"raw"}},
		{"unknown command", []string{"frobnicate"}, []string{"frobnicate"}},
		{"serve without TLS choice", []string{"serve"}, []string{"--self-signed"}},
		{"serve bad mode", []string{"serve", "--plaintext", "--mode", "shout"}, []string{"shout"}},
		{"serve bad path", []string{"serve", "--plaintext", "--path", "live"}, []string{"path"}},
		{"serve missing cert", []string{"serve", "--cert", missing, "--key", missing}, []string{missing}},
		{"pin without argument", []string{"pin"}, []string{"FILE"}},
		{"pin missing file", []string{"pin", missing}, []string{missing, "no such file"}},
		{"pin not PEM", []string{"pin", notPEM}, []string{"no PEM certificate"}},
	}
	for _, c := range usage {
		t.Run("usage/"+c.name, func(t *testing.T) {
			t.Parallel()
			wantFailure(t, tether(t, runTimeout, "", c.args...), 2, c.words...)
		})
	}

	failures := []struct {
		name  string
		args  []string
		words []string
	}{
		{"unreachable", []string{"connect", "--cacert", s.ca(), "wss://" + closed + "/"}, []string{"connection refused", closed}},
		{"unknown CA", []string{"connect", s.url}, []string{"unknown authority", "--cacert"}},
		{"wrong pin", []string{"connect", "--cacert", s.ca(), "--pin", "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", s.url}, []string{"pin mismatch"}},
		{"timeout", []string{"connect", "--cacert", s.ca(), "--count", "1", "--timeout", "1s", s.url}, []string{"timed out", "0 of 1"}},
		{"raw against Tether", []string{"connect", "--raw", "--cacert", s.ca(), s.url}, []string{"subprotocol tether.v1"}},
		{"pin unknown CA", []string{"pin", s.addr}, []string{"unknown authority", "--cacert"}},
		{"pin unreachable", []string{"pin", closed}, []string{"connection refused"}},
	}
	for _, c := range failures {
		t.Run("failure/"+c.name, func(t *testing.T) {
			t.Parallel()
			wantFailure(t, tether(t, runTimeout, "", c.args...), 1, c.words...)
		})
	}
}

// A wrong pin is refused at once: no retry, well within a second or two.
func TestConnectWrongPinIsImmediate(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	start := time.Now()
	r := tether(t, runTimeout, "hi\n", "connect", "--cacert", s.ca(),
		"--pin", "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "--pin", "sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=", s.url)
	wantFailure(t, r, 1, "pin")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the pin mismatch took %v: it should not be retried", d)
	}
	// The right pin (as tether pin prints it) connects.
	pin := strings.TrimSpace(tether(t, runTimeout, "", "pin", filepath.Join(s.dir, "cert.pem")).stdout)
	r = tether(t, runTimeout, "hi\n", "connect", "--cacert", s.ca(), "--pin", pin, "--count", "1", s.url)
	if r.code != 0 || r.stdout != "hi\n" {
		t.Fatalf("the right pin should connect\n%s", r)
	}
}

// --raw talks to a plain WebSocket server: text as is, binary as base64:,
// and --header and --origin reach the server.
func TestConnectRawBinaryHeaders(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen http.Header
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		_, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		c.WriteMessage(websocket.TextMessage, msg)
		c.WriteMessage(websocket.BinaryMessage, []byte{0, 1, 2, 0xff})
		c.ReadMessage() // until the client closes
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	url := "wss://" + strings.TrimPrefix(srv.URL, "https://") + "/feed"
	r := tether(t, runTimeout, "hi\n", "connect", "--raw", "--cacert", ca, "--count", "2",
		"--header", "X-Tether-Test: yes please", "--origin", "https://app.example.com", url)
	if r.code != 0 || r.stdout != "hi\nbase64:AAEC/w==\n" {
		t.Fatalf("want the text as is and the binary message as base64:\n%s", r)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen.Get("X-Tether-Test") != "yes please" || seen.Get("Origin") != "https://app.example.com" {
		t.Errorf("the server saw headers %v", seen)
	}
}

// -h prints the command's help on stdout and exits 0.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"connect", "-h"}, {"serve", "--help"}, {"pin", "-h"}, {"demo", "-h"}, {"help", "connect"}} {
		r := tether(t, runTimeout, "", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "tether") || r.stderr != "" {
			t.Errorf("tether %s: want help on stdout, exit 0\n%s", strings.Join(args, " "), r)
		}
	}
	r := tether(t, runTimeout, "", "connect", "-h")
	for _, flag := range []string{"-transports", "-proxy", "-cacert", "-cert", "-key", "-pin", "-header", "-origin", "-raw", "-count", "-timeout", "-v", "base64:"} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("connect -h does not mention %s", flag)
		}
	}
	// No command at all: the usage on stderr, exit 2.
	if r := tether(t, runTimeout, ""); r.code != 2 || !strings.Contains(r.stderr, "tether connect") {
		t.Errorf("no arguments: want usage on stderr, exit 2\n%s", r)
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func waitFor(t *testing.T, cond func() bool, format string, arg func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf(format, arg())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockedBuffer is an io.Writer safe to read while a process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
