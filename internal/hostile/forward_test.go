package hostile_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/hostile"
)

func newForwardProxy(t *testing.T, opts hostile.ProxyOptions) *hostile.ForwardProxy {
	t.Helper()
	p, err := hostile.NewForwardProxy(opts)
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, p)
	return p
}

// proxiedClient returns a client that reaches HTTPS targets of the test PKI
// through proxyURL (whose own TLS, if any, is also from the test PKI).
func proxiedClient(t *testing.T, proxyURL string, user *url.Userinfo) *http.Client {
	t.Helper()
	u, err := url.Parse(proxyURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = user
	return client(t, &http.Transport{Proxy: http.ProxyURL(u), TLSClientConfig: getPKI(t).clientTLS()})
}

// authTarget is an HTTPS server answering "ok" and recording whether any
// request carried Proxy-Authorization.
func authTarget(t *testing.T) (*url.URL, *atomic.Bool) {
	t.Helper()
	var sawProxyAuth atomic.Bool
	s := newTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Proxy-Authorization") != "" {
			sawProxyAuth.Store(true)
		}
		io.WriteString(w, "ok")
	}))
	u, _ := url.Parse(s.URL)
	return u, &sawProxyAuth
}

// TestForwardProxyConnect: an HTTPS GET tunnels through a plain and a TLS
// ("https://") proxy, and the counters record the CONNECT.
func TestForwardProxyConnect(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run("tls="+strconv.FormatBool(useTLS), func(t *testing.T) {
			checkLeaks(t)
			target, _ := authTarget(t)
			var opts hostile.ProxyOptions
			if useTLS {
				opts.TLS = getPKI(t).cert()
			}
			p := newForwardProxy(t, opts)
			if wantScheme := map[bool]string{false: "http://", true: "https://"}[useTLS]; !strings.HasPrefix(p.URL(), wantScheme) {
				t.Fatalf("URL %q", p.URL())
			}
			c := proxiedClient(t, p.URL(), nil)
			for range 2 {
				if code, body := get(t, c, target.String()); code != 200 || body != "ok" {
					t.Fatalf("got %d %q", code, body)
				}
			}
			// Keep-alive: both GETs share one tunnel.
			if p.Accepted() != 1 || p.Connects() != 1 || p.Tunnels() != 1 {
				t.Fatalf("accepted=%d connects=%d tunnels=%d", p.Accepted(), p.Connects(), p.Tunnels())
			}
			if tgt, _ := p.LastConnect(); tgt != target.Host {
				t.Fatalf("LastConnect target %q, want %q", tgt, target.Host)
			}
		})
	}
}

// TestForwardProxyAuth: right credentials tunnel and only the proxy sees
// Proxy-Authorization; missing credentials get 407 with a Basic challenge;
// wrong ones get 407 or (tinyproxy-like) 401.
func TestForwardProxyAuth(t *testing.T) {
	checkLeaks(t)
	target, sawProxyAuth := authTarget(t)
	p := newForwardProxy(t, hostile.ProxyOptions{User: "alice", Password: "s3cret", Realm: "corp"})

	c := proxiedClient(t, p.URL(), url.UserPassword("alice", "s3cret"))
	if code, body := get(t, c, target.String()); code != 200 || body != "ok" {
		t.Fatalf("got %d %q", code, body)
	}
	_, h := p.LastConnect()
	if want := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:s3cret")); h.Get("Proxy-Authorization") != want {
		t.Fatalf("proxy saw Proxy-Authorization %q", h.Get("Proxy-Authorization"))
	}
	if sawProxyAuth.Load() {
		t.Fatal("target saw Proxy-Authorization")
	}

	// Missing credentials, then wrong, then right on the same connection.
	conn, br := dialRaw(t, p.Addr())
	resp := rawConnect(t, conn, br, target.Host, "")
	if resp.StatusCode != 407 || resp.Header.Get("Proxy-Authenticate") != `Basic realm="corp"` {
		t.Fatalf("missing creds: %d %q", resp.StatusCode, resp.Header.Get("Proxy-Authenticate"))
	}
	resp = rawConnect(t, conn, br, target.Host, "alice:wrong")
	if resp.StatusCode != 407 || resp.Header.Get("Proxy-Authenticate") == "" {
		t.Fatalf("wrong creds: %d %v", resp.StatusCode, resp.Header)
	}
	resp = rawConnect(t, conn, br, target.Host, "alice:s3cret")
	if resp.StatusCode != 200 {
		t.Fatalf("retry with right creds: %d", resp.StatusCode)
	}
	if p.AuthFailures() != 2 {
		t.Fatalf("AuthFailures = %d", p.AuthFailures())
	}

	// Go's client surfaces a missing-credential 407 as an error.
	c2 := proxiedClient(t, p.URL(), nil)
	if _, err := c2.Get(target.String()); err == nil || !strings.Contains(err.Error(), "Proxy Authentication Required") {
		t.Fatalf("GET without creds: %v", err)
	}
}

func TestForwardProxyWrongCreds401(t *testing.T) {
	checkLeaks(t)
	p := newForwardProxy(t, hostile.ProxyOptions{User: "u", Password: "p", WrongCredentialsStatus: 401})
	conn, br := dialRaw(t, p.Addr())
	resp := rawConnect(t, conn, br, "127.0.0.1:9", "u:nope")
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Basic realm="tether"` {
		t.Fatalf("got %d %v", resp.StatusCode, resp.Header)
	}
	// Missing credentials are still 407.
	resp = rawConnect(t, conn, br, "127.0.0.1:9", "")
	if resp.StatusCode != 407 {
		t.Fatalf("missing creds: %d", resp.StatusCode)
	}
}

// TestForwardProxyAllowPorts: CONNECT to a port outside the allow-list is
// refused with 403; an allowed one tunnels.
func TestForwardProxyAllowPorts(t *testing.T) {
	checkLeaks(t)
	target, _ := authTarget(t)
	port, _ := strconv.Atoi(target.Port())
	p := newForwardProxy(t, hostile.ProxyOptions{AllowPorts: []int{443}})
	conn, br := dialRaw(t, p.Addr())
	if resp := rawConnect(t, conn, br, target.Host, ""); resp.StatusCode != 403 {
		t.Fatalf("disallowed port: %d", resp.StatusCode)
	}
	p2 := newForwardProxy(t, hostile.ProxyOptions{AllowPorts: []int{443, port}})
	if code, _ := get(t, proxiedClient(t, p2.URL(), nil), target.String()); code != 200 {
		t.Fatalf("allowed port: %d", code)
	}
}

// TestForwardProxyTunnelBytes: a raw tunnel relays bytes both ways, including
// bytes the client sent right behind the CONNECT head, and ends when the
// target closes.
func TestForwardProxyTunnelBytes(t *testing.T) {
	checkLeaks(t)
	echo := echoServer(t)
	p := newForwardProxy(t, hostile.ProxyOptions{})
	conn, br := dialRaw(t, p.Addr())
	io.WriteString(conn, "CONNECT "+echo+" HTTP/1.1\r\nHost: "+echo+"\r\n\r\nearly")
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	got := make([]byte, 5)
	if _, err := io.ReadFull(br, got); err != nil || string(got) != "early" {
		t.Fatalf("early bytes: %q %v", got, err)
	}
	for i := range 50 {
		msg := []byte(strings.Repeat(strconv.Itoa(i), 1000))
		if _, err := conn.Write(msg); err != nil {
			t.Fatal(err)
		}
		back := make([]byte, len(msg))
		if _, err := io.ReadFull(br, back); err != nil || string(back) != string(msg) {
			t.Fatalf("round trip %d: %v", i, err)
		}
	}
}

// TestForwardProxyScripts: scripted raw answers reach the client verbatim.
func TestForwardProxyScripts(t *testing.T) {
	cases := map[string]string{
		"no reason phrase": "HTTP/1.1 407\r\n\r\n",
		"garbage":          "\x00\x01 hello",
		"200 then close":   "HTTP/1.1 200 Connection established\r\n\r\n",
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			p := newForwardProxy(t, hostile.ProxyOptions{Script: hostile.Reply(raw)})
			conn, _ := dialRaw(t, p.Addr())
			io.WriteString(conn, "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n")
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			got, err := io.ReadAll(conn)
			if err != nil || string(got) != raw {
				t.Fatalf("got %q, %v; want %q then EOF", got, err, raw)
			}
			if p.Connects() != 1 || p.Tunnels() != 0 {
				t.Fatalf("connects=%d tunnels=%d", p.Connects(), p.Tunnels())
			}
		})
	}
}

// TestForwardProxy200ThenClose: Go's client fails cleanly when the tunnel
// closes right after 200.
func TestForwardProxy200ThenClose(t *testing.T) {
	checkLeaks(t)
	p := newForwardProxy(t, hostile.ProxyOptions{Script: hostile.Reply("HTTP/1.1 200 OK\r\n\r\n")})
	c := proxiedClient(t, p.URL(), nil)
	if _, err := c.Get("https://127.0.0.1:1/"); err == nil {
		t.Fatal("GET through a closing tunnel succeeded")
	}
}

// TestForwardProxySilent: a proxy that never answers holds the request until
// the client's own deadline, and Close releases it.
func TestForwardProxySilent(t *testing.T) {
	checkLeaks(t)
	p := newForwardProxy(t, hostile.ProxyOptions{Script: hostile.Silent()})
	c := proxiedClient(t, p.URL(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "https://127.0.0.1:1/", nil)
	if _, err := c.Do(req); err == nil || ctx.Err() == nil {
		t.Fatalf("silent proxy: err=%v ctxErr=%v", err, ctx.Err())
	}

	// A held connection is released by Close.
	conn, _ := dialRaw(t, p.Addr())
	io.WriteString(conn, "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n")
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _ := io.Copy(io.Discard, conn)
		if n != 0 {
			t.Errorf("silent proxy sent %d bytes", n)
		}
	}()
	waitFor(t, func() bool { return p.Connects() >= 2 })
	p.Close()
	<-done
}

// TestForwardProxyEndlessHeaders: the head never ends.
func TestForwardProxyEndlessHeaders(t *testing.T) {
	checkLeaks(t)
	p := newForwardProxy(t, hostile.ProxyOptions{Script: hostile.EndlessHeaders()})
	conn, _ := dialRaw(t, p.Addr())
	io.WriteString(conn, "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n")
	buf := make([]byte, 1<<20)
	if _, err := io.ReadFull(conn, buf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(buf), "HTTP/1.1 200") || strings.Contains(string(buf), "\r\n\r\n") {
		t.Fatal("head ended or bad status line")
	}
}

// TestForwardProxyRespond: Respond picks per request; nil means normal
// handling.
func TestForwardProxyRespond(t *testing.T) {
	checkLeaks(t)
	target, _ := authTarget(t)
	p := newForwardProxy(t, hostile.ProxyOptions{Respond: func(r *http.Request) hostile.Script {
		if r.Header.Get("X-Break") != "" {
			return hostile.Reply("HTTP/1.1 407\r\n\r\n")
		}
		return nil
	}})
	conn, br := dialRaw(t, p.Addr())
	io.WriteString(conn, "CONNECT "+target.Host+" HTTP/1.1\r\nHost: "+target.Host+"\r\nX-Break: 1\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if got, _ := io.ReadAll(br); string(got) != "HTTP/1.1 407\r\n\r\n" {
		t.Fatalf("scripted answer %q", got)
	}
	if code, _ := get(t, proxiedClient(t, p.URL(), nil), target.String()); code != 200 {
		t.Fatalf("unscripted: %d", code)
	}
}

// TestForwardProxyPlainGET: absolute-URI requests are forwarded without the
// proxy credentials; origin-form requests get 405.
func TestForwardProxyPlainGET(t *testing.T) {
	checkLeaks(t)
	var sawProxyAuth atomic.Bool
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawProxyAuth.Store(r.Header.Get("Proxy-Authorization") != "")
		io.WriteString(w, "plain "+r.URL.Path)
	}))
	p := newForwardProxy(t, hostile.ProxyOptions{User: "u", Password: "p"})
	c := proxiedClient(t, p.URL(), url.UserPassword("u", "p"))
	for range 2 {
		if code, body := get(t, c, s.URL+"/x"); code != 200 || body != "plain /x" {
			t.Fatalf("got %d %q", code, body)
		}
	}
	if sawProxyAuth.Load() {
		t.Fatal("origin saw Proxy-Authorization")
	}
	if p.Connects() != 0 || p.Requests() != 2 {
		t.Fatalf("connects=%d requests=%d", p.Connects(), p.Requests())
	}
	if code, _ := get(t, proxiedClient(t, p.URL(), nil), s.URL); code != 407 {
		t.Fatalf("GET without creds: %d", code)
	}

	conn, br := dialRaw(t, p.Addr())
	io.WriteString(conn, "GET /x HTTP/1.1\r\nHost: a\r\nProxy-Authorization: Basic "+base64.StdEncoding.EncodeToString([]byte("u:p"))+"\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 405 {
		t.Fatalf("origin-form: %v %v", resp, err)
	}
}

// dialRaw opens a plain TCP connection, closed at cleanup.
func dialRaw(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

// rawConnect sends a CONNECT (with Basic creds "user:pass" unless empty) and
// reads the response head.
func rawConnect(t *testing.T, c net.Conn, br *bufio.Reader, target, creds string) *http.Response {
	t.Helper()
	req := "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n"
	if creds != "" {
		req += "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(creds)) + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, &http.Request{Method: "CONNECT"})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// waitFor polls cond until true or fails after 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		<-tick.C
	}
}
