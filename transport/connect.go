//go:build !js

package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// MaxProxyAnswer bounds the size of a proxy's answer to CONNECT (status line
// and headers).
const MaxProxyAnswer = 16 << 10

// dialVia opens a TCP connection to addr (host:port) for a target of the given
// scheme (ws, wss, http or https), through the proxy the Config chooses for
// it. The connection is raw: TLS to the target is the caller's job.
func (d *Dialer) dialVia(ctx context.Context, scheme, addr string) (net.Conn, error) {
	proxyURL, err := d.proxy(&url.URL{Scheme: scheme, Host: addr})
	if err != nil {
		return nil, &ProxyError{Proxy: "(Config.Proxy)", Target: addr, Op: "choose", Err: err}
	}
	if proxyURL == nil {
		conn, err := d.dialTCP(ctx, addr)
		if err != nil {
			return nil, fmt.Errorf("tether/transport: dial %s: %w", addr, err)
		}
		return conn, nil
	}
	return d.dialTunnel(ctx, proxyURL, addr)
}

func (d *Dialer) dialTCP(ctx context.Context, addr string) (net.Conn, error) {
	nd := net.Dialer{Timeout: d.dialTimeout, KeepAliveConfig: keepAlive}
	if ut := d.userTimeout(); ut > 0 {
		nd.Control = func(_, _ string, c syscall.RawConn) error { return setUserTimeout(c, ut) }
	}
	return nd.DialContext(ctx, "tcp", addr)
}

// keepAlive is the sockets' TCP keep-alive: probes after 30 s idle (a live
// session hears the server's heartbeat every 25 s, so they rarely fire),
// every 5 s, 3 unanswered ones drop the connection: a dead idle connection
// goes within 45 s, the protocol's heartbeat window.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 30 * time.Second, Interval: 5 * time.Second, Count: 3}

func (d *Dialer) userTimeout() time.Duration {
	switch ut := d.cfg.UserTimeout; {
	case ut == 0:
		return DefaultUserTimeout
	case ut < 0:
		return 0
	default:
		return ut
	}
}

// dialTunnel connects to the proxy (over TLS for https://), asks it to
// CONNECT to addr, and returns the tunnel.
func (d *Dialer) dialTunnel(ctx context.Context, proxyURL *url.URL, addr string) (net.Conn, error) {
	perr := func(op string, code int, status string, challenges []string, err error) error {
		return &ProxyError{Proxy: proxyURL.Redacted(), Target: addr, Op: op, StatusCode: code, Status: status, ProxyAuthenticate: challenges, Err: err}
	}
	if proxyURL.Scheme != "http" && proxyURL.Scheme != "https" || proxyURL.Hostname() == "" {
		return nil, perr("choose", 0, "", nil, fmt.Errorf("unsupported proxy URL %q: use http://host:port or https://host:port", proxyURL.Redacted()))
	}
	port := proxyURL.Port()
	if port == "" {
		port = "80"
		if proxyURL.Scheme == "https" {
			port = "443"
		}
	}
	proxyAddr := net.JoinHostPort(proxyURL.Hostname(), port)
	conn, err := d.dialTCP(ctx, proxyAddr)
	if err != nil {
		return nil, perr("dial", 0, "", nil, err)
	}
	conn = quickAck(conn)
	ok := false
	defer func() {
		if !ok {
			conn.Close()
		}
	}()

	// The proxy's part (TLS to it and its CONNECT answer) is bounded by
	// DialTimeout as well as ctx: a proxy that never answers must not hang.
	deadline := time.Now().Add(d.dialTimeout)
	ctxDeadline := false
	if dl, has := ctx.Deadline(); has && dl.Before(deadline) {
		deadline, ctxDeadline = dl, true
	}
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	ctxErr := func(err error) error {
		if ctx.Err() != nil {
			return fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		var ne net.Error
		if ctxDeadline && errors.As(err, &ne) && ne.Timeout() {
			// The connection's deadline was the context's: say so.
			return fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
		}
		return err
	}

	if proxyURL.Scheme == "https" {
		cfg := d.proxyTLS.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = proxyURL.Hostname()
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, perr("tls", 0, "", nil, ctxErr(err))
		}
		conn = tc
	}

	var req bytes.Buffer
	fmt.Fprintf(&req, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n", addr, addr)
	user := d.cfg.ProxyAuth
	if user == nil {
		user = proxyURL.User
	}
	if user != nil {
		pass, _ := user.Password()
		cred := base64.StdEncoding.EncodeToString([]byte(user.Username() + ":" + pass))
		req.WriteString("Proxy-Authorization: Basic " + cred + "\r\n")
	}
	for name, values := range d.cfg.ProxyHeader {
		for _, v := range values {
			if strings.ContainsAny(name+v, "\r\n") {
				return nil, perr("connect", 0, "", nil, fmt.Errorf("ProxyHeader %q contains a line break", name))
			}
			req.WriteString(textproto.CanonicalMIMEHeaderKey(name) + ": " + v + "\r\n")
		}
	}
	req.WriteString("\r\n")
	if _, err := conn.Write(req.Bytes()); err != nil {
		return nil, perr("connect", 0, "", nil, ctxErr(err))
	}

	br := bufio.NewReaderSize(conn, 4096)
	ans, err := readProxyAnswer(br)
	if err != nil {
		return nil, perr("connect", 0, "", nil, ctxErr(err))
	}
	if ans.code < 200 || ans.code > 299 {
		return nil, perr("connect", ans.code, ans.reason, ans.header.Values("Proxy-Authenticate"), nil)
	}
	conn.SetDeadline(time.Time{})
	ok = true
	if n := br.Buffered(); n > 0 {
		// The proxy sent bytes after its answer: they belong to the tunnel.
		early, _ := br.Peek(n)
		return tunnelConn{&prefixConn{Conn: conn, prefix: bytes.Clone(early)}}, nil
	}
	return tunnelConn{conn}, nil
}

// tunnel marks a connection through a proxy's CONNECT tunnel.
type tunnel interface {
	net.Conn
	viaProxy()
}

// tunnelConn is a connection through a proxy's CONNECT tunnel.
type tunnelConn struct{ net.Conn }

func (tunnelConn) viaProxy() {}

// NetConn returns the connection below.
func (c tunnelConn) NetConn() net.Conn { return c.Conn }

type proxyAnswer struct {
	code   int
	reason string
	header http.Header
}

// errProxyAnswer wraps every malformed-answer error.
var errProxyAnswer = errors.New("malformed proxy answer")

// readProxyAnswer reads a status line and headers, at most MaxProxyAnswer
// bytes, accepting any reason phrase (or none).
func readProxyAnswer(br *bufio.Reader) (proxyAnswer, error) {
	var ans proxyAnswer
	total := 0
	readLine := func() (string, error) {
		var line []byte
		for {
			chunk, err := br.ReadSlice('\n')
			total += len(chunk)
			if total > MaxProxyAnswer {
				return "", fmt.Errorf("%w: longer than %d bytes", errProxyAnswer, MaxProxyAnswer)
			}
			line = append(line, chunk...)
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil {
				if err == io.EOF {
					if len(line) == 0 && total == 0 {
						return "", fmt.Errorf("the proxy closed the connection without answering: %w", io.ErrUnexpectedEOF)
					}
					return "", fmt.Errorf("%w: the connection closed mid-answer: %w", errProxyAnswer, io.ErrUnexpectedEOF)
				}
				return "", err
			}
			return strings.TrimRight(string(line), "\r\n"), nil
		}
	}
	status, err := readLine()
	if err != nil {
		return ans, err
	}
	ans.code, ans.reason, err = parseStatusLine(status)
	if err != nil {
		return ans, err
	}
	ans.header = http.Header{}
	for {
		line, err := readLine()
		if err != nil {
			return ans, err
		}
		if line == "" {
			return ans, nil
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			continue // tolerate a malformed header line; it is not ours to judge
		}
		ans.header.Add(textproto.CanonicalMIMEHeaderKey(name), strings.TrimSpace(value))
	}
}

// parseStatusLine parses "HTTP/1.x NNN[ reason]".
func parseStatusLine(line string) (int, string, error) {
	bad := func() (int, string, error) {
		if len(line) > 64 {
			line = line[:64] + "..."
		}
		return 0, "", fmt.Errorf("%w: status line %q", errProxyAnswer, line)
	}
	proto, rest, ok := strings.Cut(line, " ")
	if !ok || !strings.HasPrefix(proto, "HTTP/1.") || len(proto) != len("HTTP/1.1") {
		return bad()
	}
	codeText, reason, _ := strings.Cut(strings.TrimLeft(rest, " "), " ")
	if len(codeText) != 3 {
		return bad()
	}
	code, err := strconv.Atoi(codeText)
	if err != nil || code < 100 {
		return bad()
	}
	return code, strings.TrimSpace(reason), nil
}

// prefixConn returns prefix before reading from Conn.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}
