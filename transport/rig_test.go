//go:build !js

package transport

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/certs"
)

// pki is a CA and a server leaf for 127.0.0.1 and localhost.
type pki struct {
	ca   *certs.CA
	leaf *certs.Leaf
}

func newPKI(t *testing.T) pki {
	t.Helper()
	ca, err := certs.NewCA("test root")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue("127.0.0.1", "localhost", "::1")
	if err != nil {
		t.Fatal(err)
	}
	return pki{ca, leaf}
}

// targetServer is a TLS server that echoes WebSocket messages on /ws and
// records the headers of every request it sees.
type targetServer struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header
}

func newTarget(t *testing.T, p pki, h http.Handler) *targetServer {
	t.Helper()
	return newTargetWith(t, p, h, nil)
}

func newTargetWith(t *testing.T, p pki, h http.Handler, tune func(*tls.Config)) *targetServer {
	t.Helper()
	ts := &targetServer{}
	up := websocket.Upgrader{Subprotocols: []string{"tether.v1"}}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(mt, msg); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	if h != nil {
		mux.Handle("/custom", h)
	}
	ts.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ts.headers = append(ts.headers, r.Header.Clone())
		ts.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{p.leaf.TLSCertificate()}}
	if tune != nil {
		tune(ts.TLS)
	}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts
}

func (ts *targetServer) seen() []http.Header {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]http.Header(nil), ts.headers...)
}

// wsURL returns the target's wss URL for path.
func (ts *targetServer) wsURL(path string) string {
	return "wss://" + ts.Listener.Addr().String() + path
}

// testProxy is a minimal CONNECT proxy (optionally over TLS, optionally
// requiring Basic credentials) that records each CONNECT's headers.
type testProxy struct {
	ln       net.Listener
	user     string
	pass     string
	mu       sync.Mutex
	requests []*http.Request
	wg       sync.WaitGroup
	// hosts maps a CONNECT target host:port to the address really dialled,
	// so tests can use names that do not resolve (loopback is never proxied).
	hosts map[string]string
}

func newTestProxy(t *testing.T, tlsCert *tls.Certificate, user, pass string, hosts map[string]string) *testProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if tlsCert != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*tlsCert}})
	}
	p := &testProxy{ln: ln, user: user, pass: pass, hosts: hosts}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

func (p *testProxy) addr() string { return p.ln.Addr().String() }

func (p *testProxy) seen() []*http.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*http.Request(nil), p.requests...)
}

func (p *testProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(c)
		}()
	}
}

func (p *testProxy) handle(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.requests = append(p.requests, req)
	p.mu.Unlock()
	if req.Method != http.MethodConnect {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
		return
	}
	if p.user != "" {
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(p.user+":"+p.pass))
		got := req.Header.Get("Proxy-Authorization")
		if got == "" {
			io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\n\r\n")
			return
		}
		if got != want {
			// Like tinyproxy: wrong credentials get 401.
			io.WriteString(c, "HTTP/1.1 401 Unauthorized\r\n\r\n")
			return
		}
	}
	dst := req.Host
	if a, ok := p.hosts[dst]; ok {
		dst = a
	}
	up, err := net.Dial("tcp", dst)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	defer up.Close()
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, br); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	<-done
}

// scriptedProxy answers every connection with raw bytes (after reading the
// request head), then either holds or closes the connection.
func scriptedProxy(t *testing.T, answer string, hold bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil || strings.TrimSpace(line) == "" {
						break
					}
				}
				io.WriteString(c, answer)
				if hold {
					<-done
				}
			}()
		}
	}()
	t.Cleanup(func() { close(done); ln.Close(); wg.Wait() })
	return ln.Addr().String()
}
