package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrustedProxyFlag(t *testing.T) {
	var p prefixesFlag
	if err := p.Set("10.0.0.0/8, 192.0.2.7"); err != nil {
		t.Fatal(err)
	}
	if err := p.Set("2001:db8::/32"); err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("2001:db8::/32")}
	if len(p) != len(want) {
		t.Fatalf("got %v, want %v", p, want)
	}
	for i := range want {
		if p[i] != want[i] {
			t.Fatalf("got %v, want %v", p, want)
		}
	}
	if err := p.Set("proxy.example"); err == nil || !strings.Contains(err.Error(), "CIDR") {
		t.Fatalf("a name: %v, want an error naming the expected forms", err)
	}
}

func TestServeRefusesBadTrustedProxy(t *testing.T) {
	var stderr bytes.Buffer
	code := run(context.Background(), &env{stdout: &bytes.Buffer{}, stderr: &stderr},
		[]string{"serve", "--plaintext", "--trusted-proxy", "10.0.0.0/33"})
	if code != exitUsage || !strings.Contains(stderr.String(), "trusted-proxy") {
		t.Fatalf("exit %d, stderr %q: want a usage error about --trusted-proxy", code, stderr.String())
	}
}

// The http.Server of tether serve has every timeout the handler's docs ask
// for: a trickling client or an idle connection cannot hold it forever.
func TestServeHTTPServerTimeouts(t *testing.T) {
	srv := newHTTPServer(nil, nil, nil)
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Fatalf("ReadHeaderTimeout %v, ReadTimeout %v, IdleTimeout %v, MaxHeaderBytes %d: want all set, headers under 1 MiB",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout, srv.MaxHeaderBytes)
	}
}

// --allow-host and --trusted-proxy reach the handler: a Host not on the
// list is refused; a listed one from a trusted proxy is served.
func TestServeAllowHostAndTrustedProxy(t *testing.T) {
	s := startServe(t, "--plaintext", "--allow-host", "app.example.com", "--trusted-proxy", "127.0.0.1")
	get := func(host string) int {
		req, _ := http.NewRequest("GET", "http://"+s.addr+"/?tether=poll-open&tether_v=1", nil)
		req.Host = host
		req.Header.Set("X-Forwarded-For", "198.51.100.7")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get("evil.example"); got != http.StatusForbidden {
		t.Errorf("Host evil.example: %d, want 403", got)
	}
	if got := get("app.example.com"); got != http.StatusOK {
		t.Errorf("Host app.example.com: %d, want 200", got)
	}
}

// --redis: a bad URL is a usage error, an unreachable Redis a clear error
// that names it; --node needs --redis.
func TestServeRedisFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--redis", "http://x:1"}, exitUsage, "--redis http://x:1: redisstore: bad Redis URL"},
		{[]string{"--redis", "redis://127.0.0.1:1/0"}, 1, "is Redis running there?"},
		{[]string{"--node", "a"}, exitUsage, "--node"},
	} {
		var stderr bytes.Buffer
		code := run(context.Background(), &env{stdout: &bytes.Buffer{}, stderr: &stderr},
			append([]string{"serve", "--plaintext", "--listen", "127.0.0.1:0"}, tc.args...))
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q: want exit %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}

// --static serves a page and the browser bundle beside the endpoint: files
// by extension (.wasm as application/wasm), a folder's index.html, no
// listings, GET and HEAD only; the endpoint path still reaches Tether.
func TestServeStatic(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("index.html", "<title>chat</title>")
	write("dist/tether.wasm", "\x00asm\x01\x00\x00\x00")
	write("dist/tether.js", "export {}")
	write("secret/notes.txt", "x")
	s := startServe(t, "--plaintext", "--path", "/live", "--static", dir)
	get := func(method, path string) (int, string, string) {
		req, _ := http.NewRequest(method, "http://"+s.addr+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	for _, c := range []struct {
		method, path string
		code         int
		ctype, body  string
	}{
		{"GET", "/", 200, "text/html", "<title>chat</title>"},
		{"GET", "/dist/tether.wasm", 200, "application/wasm", "\x00asm"},
		{"GET", "/dist/tether.js", 200, "javascript", "export"},
		{"HEAD", "/dist/tether.js", 200, "javascript", ""},
		{"GET", "/dist/", 404, "", ""},   // a folder without index.html: no listing
		{"GET", "/secret/", 404, "", ""}, // likewise
		{"GET", "/nothing", 404, "", ""}, // no such file
		{"POST", "/index.html", 405, "", ""},
		{"GET", "/live?tether=poll-open&tether_v=1", 200, "application/json", `"w"`},
	} {
		code, ctype, body := get(c.method, c.path)
		if code != c.code || !strings.Contains(ctype, c.ctype) || !strings.Contains(body, c.body) {
			t.Errorf("%s %s: %d %q %.40q, want %d %q containing %q", c.method, c.path, code, ctype, body, c.code, c.ctype, c.body)
		}
	}
}

func TestServeStaticNeedsADirectory(t *testing.T) {
	var stderr bytes.Buffer
	code := run(context.Background(), &env{stdout: &bytes.Buffer{}, stderr: &stderr},
		[]string{"serve", "--plaintext", "--listen", "127.0.0.1:0", "--static", filepath.Join(t.TempDir(), "missing")})
	if code != exitUsage || !strings.Contains(stderr.String(), "--static") {
		t.Fatalf("exit %d, stderr %q: want a usage error about --static", code, stderr.String())
	}
}
