//go:build integration

package integration

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/server"
	"github.com/tether-sdk/tether/transport"
)

// proxiedHost is the target's host name in the proxy tests: 127.0.0.1 for
// the proxies and for the client's resolver (getaddrinfo reads "127.1" as
// 127.0.0.1, see main_test.go), but not loopback for the proxy environment's
// rules, which never proxy "localhost" or a loopback IP. The backend's
// certificate names it.
const proxiedHost = "127.1"

// forwardProxy is one of the real CONNECT proxies the suite started.
type forwardProxy struct {
	name        string
	open        string // host:port without authentication
	auth        string // host:port requiring Basic credentials
	wrongStatus int    // the answer to wrong credentials
	log         func() string
}

func forwardProxies() []forwardProxy {
	return []forwardProxy{
		{"tinyproxy", suite.tinyOpenAddr, suite.tinyAuthAddr, 401, func() string {
			return suite.tinyOpen.Output() + suite.tinyAuth.Output()
		}},
		{"squid", suite.squidOpenAddr, suite.squidAuthAddr, 407, func() string {
			return readFileString(suite.squidDir + "/run/access.log")
		}},
	}
}

// clearProxyEnv empties every proxy variable for the test.
func clearProxyEnv(t *testing.T) {
	for _, v := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "REQUEST_METHOD"} {
		t.Setenv(v, "")
	}
}

// counting starts a relay in front of addr that counts the connections
// through it (it never cuts one).
func counting(t *testing.T, addr string) *countingRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &countingRelay{ln: ln, upstream: addr}
	r.wg.Add(1)
	go r.serve()
	t.Cleanup(func() { r.Close() })
	return r
}

// countingRelay is a transparent TCP relay in front of a proxy that counts
// the connections it accepted. It acknowledges what it reads from the proxy
// at once (TCP_QUICKACK after each read, Linux): tinyproxy writes with
// Nagle's algorithm on, and a relay that delayed its ACKs would put back in
// every measurement the 40 ms stalls the client avoids itself
// (transport/quickack_linux.go); hostile.FaultProxy does (its connects
// through tinyproxy took 50-80 ms where the client alone takes 2-5).
type countingRelay struct {
	ln       net.Listener
	upstream string
	accepted atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

func (r *countingRelay) Addr() string    { return r.ln.Addr().String() }
func (r *countingRelay) Accepted() int64 { return r.accepted.Load() }

func (r *countingRelay) Close() {
	r.ln.Close()
	r.mu.Lock()
	for _, c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

func (r *countingRelay) serve() {
	defer r.wg.Done()
	for {
		down, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.accepted.Add(1)
		up, err := net.Dial("tcp", r.upstream)
		if err != nil {
			down.Close()
			continue
		}
		r.mu.Lock()
		r.conns = append(r.conns, down, up)
		r.mu.Unlock()
		r.wg.Add(2)
		go func() { defer r.wg.Done(); io.Copy(up, down); up.Close() }()
		go func() { defer r.wg.Done(); io.Copy(down, quickAckReader{up.(*net.TCPConn)}); down.Close() }()
	}
}

// quickAckReader reads from c and acknowledges at once what it read.
type quickAckReader struct{ c *net.TCPConn }

func (q quickAckReader) Read(p []byte) (int, error) {
	n, err := q.c.Read(p)
	if n > 0 {
		if rc, rerr := q.c.SyscallConn(); rerr == nil {
			rc.Control(func(fd uintptr) {
				// TCP_QUICKACK is 12 on Linux; elsewhere the call fails and
				// changes nothing.
				_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, 12, 1)
			})
		}
	}
	return n, err
}

// Scenario 6: WebSocket through a CONNECT proxy (tinyproxy, squid), chosen
// from HTTPS_PROXY or from Options.Dial.Proxy; NO_PROXY honoured.
func TestForwardProxyCONNECT(t *testing.T) {
	b := newBackend(t, true, server.NewHandler(echo, nil), nil)
	port := b.addr[strings.LastIndex(b.addr, ":")+1:]
	target := "wss://" + proxiedHost + ":" + port + "/live"
	for _, px := range forwardProxies() {
		t.Run(px.name, func(t *testing.T) {
			t.Run("HTTPS_PROXY", func(t *testing.T) {
				row := scenario(t, 6, px.name+" CONNECT, proxy from HTTPS_PROXY")
				clearProxyEnv(t)
				counter := counting(t, px.open)
				t.Setenv("HTTPS_PROXY", "http://"+counter.Addr())
				t.Setenv("NO_PROXY", "example.invalid,.other.test") // not the target: still proxied
				o := opts(newEvents())
				o.Dial.Proxy = nil // the environment
				c, el := dial(t, target, o)
				row.connected(c.Transport(), el)
				if c.Transport() != "websocket" {
					t.Fatalf("on %s", c.Transport())
				}
				roundTrip(t, c, "env", 50)
				if counter.Accepted() == 0 {
					t.Fatal("the connection did not go through the proxy")
				}
				if px.name == "tinyproxy" && !strings.Contains(px.log(), "CONNECT "+proxiedHost+":"+port) {
					t.Fatalf("tinyproxy did not log the CONNECT:\n%s", px.log())
				}
				row.ended(c.Transport())
			})
			// The fallbacks' HTTP client takes the same proxy from the
			// environment, and honours the same NO_PROXY.
			for _, tr := range []string{"sse", "longpoll"} {
				for _, bypass := range []bool{false, true} {
					name := tr + "/HTTPS_PROXY"
					if bypass {
						name = tr + "/NO_PROXY"
					}
					t.Run(name, func(t *testing.T) {
						what := "proxy from HTTPS_PROXY"
						if bypass {
							what = "target in NO_PROXY (direct)"
						}
						row := scenario(t, 6, fmt.Sprintf("%s CONNECT, %s, %s only", px.name, what, tr))
						clearProxyEnv(t)
						counter := counting(t, px.open)
						t.Setenv("HTTPS_PROXY", "http://"+counter.Addr())
						if bypass {
							t.Setenv("NO_PROXY", proxiedHost)
						}
						o := opts(newEvents())
						o.Dial.Proxy = nil
						o.Transports = []string{tr}
						c, el := dial(t, target, o)
						row.connected(c.Transport(), el)
						roundTrip(t, c, tr, 50)
						if got := counter.Accepted(); bypass && got != 0 || !bypass && got == 0 {
							t.Fatalf("%d connections through the proxy (NO_PROXY=%q)", got, os.Getenv("NO_PROXY"))
						}
						row.ended(c.Transport())
					})
				}
			}
			t.Run("explicit", func(t *testing.T) {
				row := scenario(t, 6, px.name+" CONNECT, explicit Options.Dial.Proxy")
				clearProxyEnv(t)
				// The environment names a dead proxy: the explicit one wins.
				t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
				counter := counting(t, px.open)
				o := opts(newEvents())
				var err error
				if o.Dial.Proxy, err = transport.FixedProxy("http://" + counter.Addr()); err != nil {
					t.Fatal(err)
				}
				c, el := dial(t, target, o)
				row.connected(c.Transport(), el)
				if c.Transport() != "websocket" {
					t.Fatalf("on %s", c.Transport())
				}
				roundTrip(t, c, "explicit", 50)
				if counter.Accepted() == 0 {
					t.Fatal("the connection did not go through the proxy")
				}
				row.ended(c.Transport())
			})
			t.Run("NO_PROXY", func(t *testing.T) {
				row := scenario(t, 6, px.name+" in HTTPS_PROXY, target in NO_PROXY (direct)")
				clearProxyEnv(t)
				counter := counting(t, px.open)
				t.Setenv("HTTPS_PROXY", "http://"+counter.Addr())
				t.Setenv("NO_PROXY", "example.invalid,"+proxiedHost)
				o := opts(newEvents())
				o.Dial.Proxy = nil
				c, el := dial(t, target, o)
				row.connected(c.Transport(), el)
				roundTrip(t, c, "direct", 50)
				if n := counter.Accepted(); n != 0 {
					t.Fatalf("%d connections went through the proxy despite NO_PROXY", n)
				}
				row.ended(c.Transport())
			})
		})
	}
}

// Scenario 7: a proxy with Basic authentication. Right credentials work;
// missing or wrong ones give an error from which errors.As yields the
// proxy's status, with a message that says proxy authentication.
func TestProxyBasicAuth(t *testing.T) {
	b := newBackend(t, true, server.NewHandler(echo, nil), nil)
	for _, px := range forwardProxies() {
		t.Run(px.name, func(t *testing.T) {
			t.Run("right-credentials-in-url", func(t *testing.T) {
				row := scenario(t, 7, px.name+" Basic auth, right credentials (proxy URL)")
				o := opts(newEvents())
				var err error
				if o.Dial.Proxy, err = transport.FixedProxy("http://" + proxyUser + ":" + proxyPass + "@" + px.auth); err != nil {
					t.Fatal(err)
				}
				c, el := dial(t, b.url(), o)
				row.connected(c.Transport(), el)
				if c.Transport() != "websocket" {
					t.Fatalf("on %s", c.Transport())
				}
				roundTrip(t, c, "auth", 50)
				row.ended(c.Transport())
			})
			t.Run("right-credentials-in-ProxyAuth", func(t *testing.T) {
				row := scenario(t, 7, px.name+" Basic auth, right credentials (Config.ProxyAuth)")
				o := opts(newEvents())
				var err error
				if o.Dial.Proxy, err = transport.FixedProxy("http://" + px.auth); err != nil {
					t.Fatal(err)
				}
				o.Dial.ProxyAuth = url.UserPassword(proxyUser, proxyPass)
				c, el := dial(t, b.url(), o)
				row.connected(c.Transport(), el)
				roundTrip(t, c, "auth", 20)
				row.ended(c.Transport())
			})
			for _, tc := range []struct {
				name   string
				user   string
				status int
			}{
				{"missing-credentials", "", 407},
				{"wrong-credentials", proxyUser + ":wrong@", px.wrongStatus},
			} {
				t.Run(tc.name, func(t *testing.T) {
					row := scenario(t, 7, fmt.Sprintf("%s Basic auth, %s", px.name, strings.ReplaceAll(tc.name, "-", " ")))
					ev := newEvents()
					o := opts(ev)
					var err error
					if o.Dial.Proxy, err = transport.FixedProxy("http://" + tc.user + px.auth); err != nil {
						t.Fatal(err)
					}
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					start := time.Now()
					c, err := client.Dial(ctx, b.url(), o)
					el := time.Since(start)
					if err == nil {
						c.Close(context.Background())
						t.Fatal("connected without the right credentials")
					}
					t.Logf("error after %v: %v", el.Round(time.Millisecond), err)
					pe, ok := errorsAs[*transport.ProxyError](err)
					if !ok {
						t.Fatalf("errors.As gives no *transport.ProxyError: %v", err)
					}
					row.failedWith(fmt.Sprintf("refused: *transport.ProxyError %d", pe.StatusCode), el)
					if pe.StatusCode != tc.status {
						t.Fatalf("status %d (%s), want %d", pe.StatusCode, pe.Status, tc.status)
					}
					if !pe.AuthRequired() {
						t.Fatalf("AuthRequired is false for %d", pe.StatusCode)
					}
					if !strings.Contains(err.Error(), "proxy authentication") {
						t.Fatalf("the message does not say proxy authentication: %v", err)
					}
					if strings.Contains(err.Error(), proxyPass) {
						t.Fatalf("the message shows the password: %v", err)
					}
				})
			}
		})
	}
}

// Scenario 8: an HTTPS proxy (squid's https_port: TLS to the proxy, Basic
// credentials inside it): WebSocket through it, with the pins on the target
// still enforced (and the proxy's own key does not satisfy them).
func TestHTTPSProxy(t *testing.T) {
	b := newBackend(t, true, server.NewHandler(echo, nil), nil)
	counter := counting(t, suite.squidTLSAddr)
	proxyURL := "https://" + proxyUser + ":" + proxyPass + "@" + counter.Addr()
	optsVia := func(ev *events, pins ...string) *client.Options {
		o := opts(ev)
		var err error
		if o.Dial.Proxy, err = transport.FixedProxy(proxyURL); err != nil {
			t.Fatal(err)
		}
		for _, p := range pins {
			o.Dial.Pins = append(o.Dial.Pins, transport.Pin{Host: "127.0.0.1", Hash: p})
		}
		return o
	}
	t.Run("right-pin", func(t *testing.T) {
		row := scenario(t, 8, "squid https_port (TLS to the proxy), target pinned")
		before := counter.Accepted()
		c, el := dial(t, b.url(), optsVia(newEvents(), pin(suite.backend)))
		row.connected(c.Transport(), el)
		if c.Transport() != "websocket" {
			t.Fatalf("on %s", c.Transport())
		}
		roundTrip(t, c, "https-proxy", 100)
		if counter.Accepted() == before {
			t.Fatal("the connection did not go through the HTTPS proxy")
		}
		row.ended(c.Transport())
	})
	// The fallbacks go through the same HTTPS proxy, with the same pins.
	for _, tr := range []string{"sse", "longpoll"} {
		t.Run("right-pin/"+tr, func(t *testing.T) {
			row := scenario(t, 8, "squid https_port, target pinned, "+tr+" only")
			before := counter.Accepted()
			o := optsVia(newEvents(), pin(suite.backend))
			o.Transports = []string{tr}
			c, el := dial(t, b.url(), o)
			row.connected(c.Transport(), el)
			roundTrip(t, c, tr, 50)
			if counter.Accepted() == before {
				t.Fatal("the connection did not go through the HTTPS proxy")
			}
			row.ended(c.Transport())
		})
	}
	t.Run("from-HTTPS_PROXY", func(t *testing.T) {
		// An https:// proxy URL from the environment (the target is
		// proxiedHost: loopback names are never proxied by the environment).
		row := scenario(t, 8, "squid https_port from HTTPS_PROXY, target pinned")
		clearProxyEnv(t)
		t.Setenv("HTTPS_PROXY", proxyURL)
		before := counter.Accepted()
		o := opts(newEvents())
		o.Dial.Proxy = nil
		o.Dial.Pins = []transport.Pin{{Host: proxiedHost, Hash: pin(suite.backend)}}
		port := b.addr[strings.LastIndex(b.addr, ":")+1:]
		c, el := dial(t, "wss://"+proxiedHost+":"+port+"/live", o)
		row.connected(c.Transport(), el)
		roundTrip(t, c, "env-https-proxy", 50)
		if counter.Accepted() == before {
			t.Fatal("the connection did not go through the HTTPS proxy")
		}
		row.ended(c.Transport())
	})
	for _, tc := range []struct {
		name, pin  string
		transports []string
	}{
		{"wrong-pin", "", nil},
		{"proxy-key-as-pin", pin(suite.proxy), nil}, // the proxy's key must not pass for the target's
		{"wrong-pin/sse", "", []string{"sse"}},
		{"wrong-pin/longpoll", "", []string{"longpoll"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			what := "squid https_port, " + strings.ReplaceAll(tc.name, "-", " ")
			if tc.transports != nil {
				what = "squid https_port, wrong pin, " + tc.transports[0] + " only"
			}
			row := scenario(t, 8, what)
			p := tc.pin
			if p == "" {
				other, err := suite.ca.Issue("127.0.0.1")
				if err != nil {
					t.Fatal(err)
				}
				p = pin(other)
			}
			ev := newEvents()
			before := counter.Accepted()
			o := optsVia(ev, p)
			o.Transports = tc.transports
			start := time.Now()
			c, err := client.Dial(context.Background(), b.url(), o)
			el := time.Since(start)
			if err == nil {
				c.Close(context.Background())
				t.Fatal("connected with a wrong pin through the proxy")
			}
			row.failedWith("refused: *transport.PinError", el)
			t.Logf("error after %v: %v", el.Round(time.Millisecond), err)
			if _, ok := errorsAs[*transport.PinError](err); !ok {
				t.Fatalf("errors.As gives no *transport.PinError: %v", err)
			}
			if _, ok := errorsAs[*client.ConnectError](err); ok {
				t.Fatalf("a pin mismatch tried other transports: %v", err)
			}
			if n := counter.Accepted() - before; n != 1 {
				t.Fatalf("%d connections to the proxy, want 1 (no retry, no fallback)", n)
			}
		})
	}
}
