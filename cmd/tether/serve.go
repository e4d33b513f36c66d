package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tether-sdk/tether/internal/certs"
	"github.com/tether-sdk/tether/server"
)

const serveSynopsis = `
Usage: tether serve [flags]

Runs Tether's reference server: one URL that serves sessions over WebSocket,
Server-Sent Events and long-polling (PROTOCOL.md). In echo mode every message
goes back to its sender; in chat mode to every session (the sender too).

TLS comes from --cert and --key, or from --self-signed DIR, which writes a CA
and a certificate for localhost, 127.0.0.1 and ::1 (ca.pem, cert.pem, key.pem,
and the CA's key in ca-key.pem) into DIR and serves with them: clients trust
DIR/ca.pem. A later start with the same DIR reuses its CA, so clients keep
trusting the server across restarts. --plaintext serves
plain HTTP, for running behind a TLS-terminating reverse proxy (clients accept
ws:// only for loopback hosts).

It prints one line on stderr saying where it listens, and shuts down cleanly on
SIGINT or SIGTERM (sessions are closed with 1001 going away). --listen with port
0 picks a free port; the line says which.

--redis URL runs the server as one node of several sharing their sessions
through Redis: put any number of them behind any balancer, sticky or not. A
node's shutdown hands its sessions over (their clients reconnect to another
node and lose nothing); a node that dies is replaced within 10 s. For a Redis
Cluster, name any of its nodes: redis+cluster://HOST:PORT,HOST:PORT,...
(rediss+cluster:// for TLS); a session's keys share one hash slot.

Examples:
  tether serve --self-signed ./certs
  tether serve --cert cert.pem --key key.pem --listen :443 --path /live --mode chat
  tether serve --plaintext --listen 127.0.0.1:8080 --transports sse,longpoll -v
  tether serve --plaintext --listen 10.0.0.5:8080 --trusted-proxy 10.0.0.2 --allow-host app.example.com
  tether serve --plaintext --listen :8080 --mode chat --redis redis://10.0.0.9:6379/0
  tether serve --plaintext --listen :8080 --redis redis+cluster://10.0.0.9:7000,10.0.0.10:7000

Limits (per address, per session, memory budget) and what to set in front of
the server are in SECURITY.md.
`

type serveFlags struct {
	listen       string
	cert, key    string
	selfSigned   string
	plaintext    bool
	path         string
	mode         string
	transports   transportsFlag
	allowOrigins listFlag
	allowHosts   listFlag
	trusted      prefixesFlag
	verbose      bool
	redis        string
	node         string
	lease        time.Duration
	static       string
}

func runServe(ctx context.Context, e *env, args []string) int {
	var f serveFlags
	fs := newFlagSet("serve", serveSynopsis)
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8443", "`ADDR` to listen on (host:port; port 0 picks a free one)")
	fs.StringVar(&f.cert, "cert", "", "TLS certificate chain PEM `FILE` (with --key)")
	fs.StringVar(&f.key, "key", "", "TLS private key PEM `FILE` (with --cert)")
	fs.StringVar(&f.selfSigned, "self-signed", "", "serve with a self-signed CA and certificate in `DIR` (ca.pem, cert.pem, key.pem; made on the first start, reused after)")
	fs.BoolVar(&f.plaintext, "plaintext", false, "serve plain HTTP (behind a TLS-terminating reverse proxy)")
	fs.StringVar(&f.path, "path", "/", "URL `PATH` of the endpoint")
	fs.StringVar(&f.mode, "mode", "echo", "`MODE`: echo (each message back to its sender) or chat (to every session)")
	fs.Var(&f.transports, "transports", "`LIST` of transports offered: a subset of websocket,sse,longpoll (default all three)")
	fs.Var(&f.allowOrigins, "allow-origin", "browser `ORIGIN` allowed to connect, e.g. https://app.example.com, or * for any but null,\nwithout credentials (repeatable; default: same origin only; clients that send no Origin are always allowed)")
	fs.Var(&f.allowHosts, "allow-host", "`NAME` the Host header may carry, e.g. app.example.com or *.example.com (repeatable;\ndefault: any, except that a plaintext server on loopback refuses browser requests naming\nanother host from an http origin: DNS rebinding; see SECURITY.md)")
	fs.Var(&f.trusted, "trusted-proxy", "`CIDR` of a reverse proxy whose X-Forwarded-For/Forwarded and X-Forwarded-Proto are believed,\ne.g. 127.0.0.1/32 or 10.0.0.0/8 (repeatable; default: none, the peer address is the client's)")
	fs.BoolVar(&f.verbose, "v", false, "print one logfmt line per session event on stderr")
	fs.StringVar(&f.redis, "redis", "", "share sessions with other nodes through the Redis at `URL` (redis://HOST:PORT/DB, rediss:// for TLS,\nredis+cluster://HOST:PORT,HOST:PORT,... for a Redis Cluster):\nany node serves any request of any session, no sticky sessions; chat mode broadcasts across nodes")
	fs.DurationVar(&f.lease, "lease", 0, "how long a node owns a session without renewing: a node that dies is replaced after at most\n`DURATION` (with --redis; default 10s, at least 3s)")
	fs.StringVar(&f.static, "static", "", "serve the files in `DIR` at every path other than --path (a page and the browser bundle on the\nendpoint's origin; .wasm as application/wasm; no directory listings)")
	fs.StringVar(&f.node, "node", "", "`NAME` of this node in the shared store's leases and logs (with --redis; default: random)")
	pos, code, done := fs.parse(e, args)
	if done {
		return code
	}
	if len(pos) > 0 {
		return fail(e.stderr, usagef("serve: unexpected argument %q (see tether serve -h)", pos[0]))
	}
	cfg, err := f.tlsConfig()
	if err != nil {
		return fail(e.stderr, err)
	}
	var serve func(*server.Session)
	var chat *hub
	switch f.mode {
	case "echo":
		serve = echo
	case "chat":
		chat = newHub()
		serve = chat.serve
	default:
		return fail(e.stderr, usagef("--mode %q: use echo or chat", f.mode))
	}
	if !strings.HasPrefix(f.path, "/") {
		return fail(e.stderr, usagef("--path %q: a path starts with /", f.path))
	}
	if (f.node != "" || f.lease != 0) && f.redis == "" {
		return fail(e.stderr, usagef("serve: --node and --lease are about the shared store: they need --redis"))
	}
	if f.lease != 0 && f.lease < 3*time.Second {
		return fail(e.stderr, usagef("--lease %v: at least 3s (a lease is renewed about every second)", f.lease))
	}

	var other http.Handler
	if f.static != "" {
		if other, err = staticFiles(f.static); err != nil {
			return fail(e.stderr, err)
		}
	}

	logger := discardLogger()
	errorLog := log.New(io.Discard, "", 0)
	if f.verbose {
		logger = newLogfmtLogger(e.stderr)
		errorLog = log.New(&logfmtWriter{w: e.stderr}, "", 0)
	}
	opts := &server.Options{
		Transports:     f.transports,
		AllowedOrigins: f.allowOrigins,
		AllowedHosts:   f.allowHosts,
		TrustedProxies: f.trusted,
		Logger:         logger,
		Node:           f.node,
		LeaseTTL:       f.lease,
	}
	if f.redis != "" {
		stop, err := f.openShared(ctx, opts, chat)
		if err != nil {
			return fail(e.stderr, err)
		}
		defer stop()
	}
	h := server.NewHandler(serve, opts)
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fail(e.stderr, fmt.Errorf("cannot listen on %s: %w", f.listen, unwrapOp(err)))
	}
	srv := newHTTPServer(onePath(f.path, h, other), cfg, errorLog)
	scheme := "wss"
	if cfg == nil {
		scheme = "ws"
	} else {
		ln = tls.NewListener(ln, cfg)
	}
	transports := f.transports
	if transports == nil {
		transports = allTransports
	}
	line := fmt.Sprintf("tether serve: listening on %s://%s%s (mode %s, transports %s",
		scheme, displayAddr(ln.Addr()), f.path, f.mode, strings.Join(transports, ","))
	if f.selfSigned != "" {
		line += fmt.Sprintf("; clients trust %s", filepath.Join(f.selfSigned, certs.CAFile))
	}
	if f.redis != "" {
		line += fmt.Sprintf("; sessions shared through %s", redactURL(f.redis))
	}
	fmt.Fprintln(e.stderr, line+")")

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-served:
		h.Shutdown(context.Background())
		return fail(e.stderr, fmt.Errorf("serving: %w", err))
	}

	// Sessions first (SSE streams and held polls end, WebSockets get their
	// close frame), then the listener and idle connections.
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.Shutdown(sctx)
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	fmt.Fprintln(e.stderr, "tether serve: stopped")
	return exitOK
}

// newHTTPServer is the http.Server in front of the handler, with the
// timeouts server.Handler's documentation asks for: headers must arrive
// within 10 s and fit in 64 KiB; a request (headers and body) within 30 s,
// which the handler extends for the long-polls and streams that need longer
// (http.ResponseController); idle keep-alive connections close after 60 s.
// No WriteTimeout: the handler sets a deadline on every write of a stream.
func newHTTPServer(h http.Handler, cfg *tls.Config, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ErrorLog:          errorLog,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         cfg,
	}
}

// tlsConfig returns the server's TLS configuration; nil with --plaintext.
func (f *serveFlags) tlsConfig() (*tls.Config, error) {
	modes := 0
	for _, set := range []bool{f.cert != "" || f.key != "", f.selfSigned != "", f.plaintext} {
		if set {
			modes++
		}
	}
	switch {
	case modes == 0:
		return nil, usagef("serve: choose how to serve: --self-signed DIR, --cert FILE --key FILE, or --plaintext")
	case modes > 1:
		return nil, usagef("serve: --self-signed, --cert/--key and --plaintext exclude each other")
	case f.plaintext:
		return nil, nil
	}
	var cert tls.Certificate
	if f.selfSigned != "" {
		_, leaf, _, err := certs.LoadOrSelfSigned(f.selfSigned, selfSignedHosts(f.listen)...)
		if err != nil {
			return nil, usagef("--self-signed %s: %s", f.selfSigned, clean(strings.TrimPrefix(err.Error(), "certs: ")))
		}
		cert = leaf.TLSCertificate()
	} else {
		if f.cert == "" || f.key == "" {
			return nil, usagef("--cert and --key go together: give both")
		}
		for _, p := range []string{f.cert, f.key} {
			if _, err := os.Stat(p); err != nil {
				return nil, usagef("%s: %s", p, fileErr(err))
			}
		}
		var err error
		if cert, err = tls.LoadX509KeyPair(f.cert, f.key); err != nil {
			return nil, usagef("--cert %s --key %s: %v", f.cert, f.key, err)
		}
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}, nil
}

// selfSignedHosts are the names the self-signed certificate covers: the
// defaults, plus the listen host when it names one.
func selfSignedHosts(listen string) []string {
	hosts := slices.Clone(certs.DefaultHosts)
	host, _, err := net.SplitHostPort(listen)
	if err != nil || host == "" {
		return hosts
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if name, err := os.Hostname(); err == nil && name != "" && !slices.Contains(hosts, name) {
			hosts = append(hosts, name)
		}
		return hosts
	}
	if !slices.Contains(hosts, host) {
		hosts = append(hosts, host)
	}
	return hosts
}

// displayAddr is the listener's address as a client would dial it.
func displayAddr(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if ta.IP == nil || ta.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(ta.Port))
	}
	return ta.String()
}

// onePath serves h at path exactly; anything else goes to other, or is 404
// without it.
func onePath(path string, h, other http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			if other != nil {
				other.ServeHTTP(w, r)
				return
			}
			http.Error(w, "404 not found: the Tether endpoint is at "+path, http.StatusNotFound)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// unwrapOp drops net.OpError's "listen tcp ADDR:" prefix.
func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}
