package hostile

import (
	"bufio"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ProxyOptions configures a [ForwardProxy]. The zero value is an open,
// plain-HTTP CONNECT proxy to any port.
type ProxyOptions struct {
	// TLS, if set, serves the proxy itself over TLS with this certificate
	// (an "https://" proxy). Clients must trust its issuer.
	TLS *tls.Certificate

	// User and Password, when User is non-empty, require Basic credentials
	// in Proxy-Authorization. A request without them gets 407 with
	// Proxy-Authenticate: Basic realm="<Realm>".
	User, Password string
	// Realm is the Basic realm announced; default "tether".
	Realm string
	// WrongCredentialsStatus is the status for wrong credentials: 407
	// (default, squid-like, with Proxy-Authenticate) or 401 (tinyproxy-like,
	// with WWW-Authenticate).
	WrongCredentialsStatus int

	// AllowPorts, if non-empty, is the only set of target ports allowed;
	// other CONNECT targets get 403.
	AllowPorts []int

	// Script, if set, handles every request instead of the proxy.
	Script Script
	// Respond, if set, is consulted for every request (before
	// authentication); a non-nil Script it returns handles that request
	// instead of the proxy. It takes precedence over Script.
	Respond func(req *http.Request) Script
}

// ForwardProxy is an HTTP forward proxy on 127.0.0.1: it tunnels CONNECT
// requests (copying both ways until either side closes) and forwards
// absolute-URI http:// requests; other requests get 405. After an
// authentication failure the connection stays open for a retry.
type ForwardProxy struct {
	opts ProxyOptions
	ln   net.Listener
	t    *tracker
	tls  *tls.Config

	accepted     atomic.Int64
	requests     atomic.Int64
	connects     atomic.Int64
	tunnels      atomic.Int64
	authFailures atomic.Int64

	mu         sync.Mutex
	lastTarget string
	lastHeader http.Header
}

// NewForwardProxy starts a forward proxy on 127.0.0.1:0.
func NewForwardProxy(opts ProxyOptions) (*ForwardProxy, error) {
	if opts.Realm == "" {
		opts.Realm = "tether"
	}
	if opts.WrongCredentialsStatus == 0 {
		opts.WrongCredentialsStatus = http.StatusProxyAuthRequired
	}
	ln, err := listenLocal()
	if err != nil {
		return nil, err
	}
	p := &ForwardProxy{opts: opts, ln: ln, t: newTracker()}
	if opts.TLS != nil {
		p.tls = &tls.Config{Certificates: []tls.Certificate{*opts.TLS}, NextProtos: []string{"http/1.1"}}
	}
	p.t.goFunc(func() { p.t.acceptLoop(ln, p.handle) })
	return p, nil
}

// Addr returns the proxy's host:port.
func (p *ForwardProxy) Addr() string { return p.ln.Addr().String() }

// URL returns the proxy URL, "http://host:port" or "https://host:port" when
// serving over TLS, without credentials.
func (p *ForwardProxy) URL() string {
	if p.tls != nil {
		return "https://" + p.Addr()
	}
	return "http://" + p.Addr()
}

// Accepted returns how many TCP connections the proxy has accepted.
func (p *ForwardProxy) Accepted() int64 { return p.accepted.Load() }

// Requests returns how many request heads the proxy has read (any method).
func (p *ForwardProxy) Requests() int64 { return p.requests.Load() }

// Connects returns how many CONNECT requests the proxy has seen, whether or
// not they were authorised or answered by a Script.
func (p *ForwardProxy) Connects() int64 { return p.connects.Load() }

// Tunnels returns how many CONNECT tunnels were established (200 sent).
func (p *ForwardProxy) Tunnels() int64 { return p.tunnels.Load() }

// AuthFailures returns how many requests were refused for missing or wrong
// credentials.
func (p *ForwardProxy) AuthFailures() int64 { return p.authFailures.Load() }

// LastConnect returns the target (host:port) and a copy of the request
// headers of the most recent CONNECT seen, or "" and nil if none.
func (p *ForwardProxy) LastConnect() (target string, header http.Header) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastTarget, p.lastHeader.Clone()
}

// Close stops the proxy, severs every client and target connection and
// waits for its goroutines.
func (p *ForwardProxy) Close() error {
	err := closeListener(p.ln)
	p.t.shutdown()
	p.t.wait()
	return err
}

func (p *ForwardProxy) handle(raw net.Conn) {
	p.accepted.Add(1)
	conn := raw
	if p.tls != nil {
		tc := tls.Server(raw, p.tls)
		if err := tc.HandshakeContext(p.t.ctx); err != nil {
			return
		}
		conn = tc
	}
	br := bufio.NewReader(conn)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			if err != io.EOF {
				writeStatus(conn, http.StatusBadRequest, nil, true)
			}
			return
		}
		p.requests.Add(1)
		if req.Method == http.MethodConnect {
			p.connects.Add(1)
			p.mu.Lock()
			p.lastTarget, p.lastHeader = req.Host, req.Header.Clone()
			p.mu.Unlock()
		}
		script := p.opts.Script
		if p.opts.Respond != nil {
			script = p.opts.Respond(req)
		}
		if script != nil {
			script(p.t.ctx, conn)
			return
		}
		if !p.authorised(conn, req) {
			if req.Close || discardBody(req) != nil {
				return
			}
			continue
		}
		switch {
		case req.Method == http.MethodConnect:
			p.tunnel(conn, br, req)
			return
		case req.URL.IsAbs() && req.URL.Scheme == "http":
			if !p.forward(conn, req) {
				return
			}
		default:
			writeStatus(conn, http.StatusMethodNotAllowed, http.Header{"Allow": {"CONNECT"}}, true)
			return
		}
	}
}

// authorised checks credentials, answering the failure itself.
func (p *ForwardProxy) authorised(conn net.Conn, req *http.Request) bool {
	if p.opts.User == "" {
		return true
	}
	auth := req.Header.Get("Proxy-Authorization")
	if auth == "" {
		p.authFailures.Add(1)
		writeStatus(conn, http.StatusProxyAuthRequired, http.Header{
			"Proxy-Authenticate": {fmt.Sprintf("Basic realm=%q", p.opts.Realm)},
		}, req.Close)
		return false
	}
	user, pass, ok := parseBasic(auth)
	if ok && subtle.ConstantTimeCompare([]byte(user), []byte(p.opts.User)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(p.opts.Password)) == 1 {
		return true
	}
	p.authFailures.Add(1)
	h := http.Header{}
	challenge := fmt.Sprintf("Basic realm=%q", p.opts.Realm)
	if p.opts.WrongCredentialsStatus == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", challenge)
	} else {
		h.Set("Proxy-Authenticate", challenge)
	}
	writeStatus(conn, p.opts.WrongCredentialsStatus, h, req.Close)
	return false
}

func parseBasic(auth string) (user, pass string, ok bool) {
	scheme, cred, found := strings.Cut(auth, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(dec), ":")
}

func (p *ForwardProxy) tunnel(conn net.Conn, br *bufio.Reader, req *http.Request) {
	_, port, err := net.SplitHostPort(req.Host)
	if err != nil {
		writeStatus(conn, http.StatusBadRequest, nil, true)
		return
	}
	if len(p.opts.AllowPorts) > 0 {
		n, err := strconv.Atoi(port)
		if err != nil || !slices.Contains(p.opts.AllowPorts, n) {
			writeStatus(conn, http.StatusForbidden, nil, true)
			return
		}
	}
	ctx, cancel := context.WithTimeout(p.t.ctx, 10*time.Second)
	target, err := p.t.dialTracked(ctx, "tcp", req.Host)
	cancel()
	if err != nil {
		writeStatus(conn, http.StatusBadGateway, nil, true)
		return
	}
	defer target.Close()
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	p.tunnels.Add(1)
	relay(p.t, conn, br, target)
}

// forward relays one absolute-URI request to its origin and the response
// back; it reports whether the client connection may be reused.
func (p *ForwardProxy) forward(conn net.Conn, req *http.Request) bool {
	host := req.URL.Host
	if req.URL.Port() == "" {
		host = net.JoinHostPort(req.URL.Hostname(), "80")
	}
	ctx, cancel := context.WithTimeout(p.t.ctx, 10*time.Second)
	target, err := p.t.dialTracked(ctx, "tcp", host)
	cancel()
	if err != nil {
		writeStatus(conn, http.StatusBadGateway, nil, true)
		return false
	}
	defer target.Close()
	clientClose := req.Close
	out := req.Clone(p.t.ctx)
	for _, h := range []string{"Proxy-Authorization", "Proxy-Connection", "Connection", "Keep-Alive", "Te", "Trailer", "Upgrade"} {
		out.Header.Del(h)
	}
	out.Close = true
	out.RequestURI = ""
	if err := out.Write(target); err != nil {
		writeStatus(conn, http.StatusBadGateway, nil, true)
		return false
	}
	resp, err := http.ReadResponse(bufio.NewReader(target), req)
	if err != nil {
		writeStatus(conn, http.StatusBadGateway, nil, true)
		return false
	}
	defer resp.Body.Close()
	resp.Close = clientClose
	resp.Header.Del("Connection")
	if err := resp.Write(conn); err != nil {
		return false
	}
	return !resp.Close
}

// relay copies between client (reading through cr, which may hold bytes
// already buffered) and target until either side closes, then closes both.
func relay(t *tracker, client net.Conn, cr io.Reader, target net.Conn) {
	done := make(chan struct{})
	if !t.goFunc(func() {
		defer close(done)
		io.Copy(client, target)
		client.Close()
		target.Close()
	}) {
		return
	}
	io.Copy(target, cr)
	client.Close()
	target.Close()
	<-done
}

// discardBody drains a small request body so the connection can be reused.
func discardBody(req *http.Request) error {
	if req.Body == nil {
		return nil
	}
	_, err := io.Copy(io.Discard, io.LimitReader(req.Body, 1<<20))
	req.Body.Close()
	return err
}

// writeStatus writes a bodiless response with status code and extra headers.
func writeStatus(w io.Writer, code int, h http.Header, closeConn bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", code, http.StatusText(code))
	for k, vs := range h {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	if closeConn {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	io.WriteString(w, b.String())
}
