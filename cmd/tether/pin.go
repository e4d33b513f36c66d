package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tether-sdk/tether/transport"
)

const pinSynopsis = `
Usage: tether pin [flags] FILE|HOST:PORT

Prints the pin of every certificate, one "sha256/BASE64" line each, leaf first:
the standard base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo
(OkHttp's format, what tether connect --pin and transport.Pin take).

With FILE, the certificates of that PEM file, in order. With HOST:PORT (or a
wss:// or https:// URL), it connects (through --proxy, trusting --cacert in
addition to the system's roots; the chain must verify) and prints the chain
the server presents. A root that the server does not send can be pinned from
its file: tether pin ca.pem.

Exit codes: 0 done; 1 failure (TLS, network, proxy); 2 bad usage (a file that
cannot be read, no certificate in it, not HOST:PORT).

Examples:
  tether pin ./certs/cert.pem
  tether pin --cacert ./certs/ca.pem 127.0.0.1:8443
  tether pin --proxy http://proxy:3128 example.com:443
`

func runPin(ctx context.Context, e *env, args []string) int {
	var (
		dial    dialFlags
		timeout time.Duration
		verbose bool
	)
	fs := newFlagSet("pin", pinSynopsis)
	dial.register(fs, false)
	fs.DurationVar(&timeout, "timeout", 15*time.Second, "give up on HOST:PORT after this `DURATION`")
	fs.BoolVar(&verbose, "v", false, "also describe each certificate on stderr")
	pos, code, done := fs.parse(e, args)
	if done {
		return code
	}
	if len(pos) != 1 {
		return fail(e.stderr, usagef("pin: give one FILE or HOST:PORT (see tether pin -h)"))
	}
	arg := pos[0]
	var chain []*x509.Certificate
	var err error
	if st, serr := os.Stat(arg); serr == nil && !st.IsDir() {
		chain, err = certsFromFile(arg)
	} else if addr, ok := hostPort(arg); ok {
		if timeout <= 0 {
			return fail(e.stderr, usagef("--timeout %v: give a positive duration", timeout))
		}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		chain, err = presentedChain(cctx, &dial, addr)
		cancel()
		var ua x509.UnknownAuthorityError
		if errors.As(err, &ua) {
			// pin dials through package transport, not the client (which
			// says this itself).
			err = fmt.Errorf("%w; trust the server's CA with --cacert FILE", err)
		}
	} else if serr != nil && !strings.Contains(arg, ":") {
		err = usagef("%s: %s (give a PEM file or HOST:PORT)", arg, fileErr(serr))
	} else {
		err = usagef("%q is neither a file nor HOST:PORT", arg)
	}
	if err != nil {
		return fail(e.stderr, err)
	}
	for i, c := range chain {
		fmt.Fprintln(e.stdout, transport.SPKIPin(c))
		if verbose {
			fmt.Fprintf(e.stderr, "%s\n", logfmt("cert", i, "subject", c.Subject.String(), "issuer", c.Issuer.String(),
				"not_after", c.NotAfter.UTC().Format(time.DateOnly), "pin", transport.SPKIPin(c)))
		}
	}
	return exitOK
}

// certsFromFile parses every certificate of a PEM file, in order.
func certsFromFile(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("%s: %s", path, fileErr(err))
	}
	certs, err := transport.CertsFromPEM(data)
	if err != nil {
		return nil, usagef("%s: %s", path, clean(err.Error()))
	}
	return certs, nil
}

// hostPort accepts HOST:PORT, [IPv6]:PORT, or a wss://, https://, ws:// or
// http:// URL (default ports 443 and 80).
func hostPort(arg string) (string, bool) {
	if strings.Contains(arg, "://") {
		u, err := url.Parse(arg)
		if err != nil || u.Hostname() == "" {
			return "", false
		}
		port := u.Port()
		switch {
		case port != "":
		case u.Scheme == "wss" || u.Scheme == "https":
			port = "443"
		case u.Scheme == "ws" || u.Scheme == "http":
			port = "80"
		default:
			return "", false
		}
		return net.JoinHostPort(u.Hostname(), port), true
	}
	host, port, err := net.SplitHostPort(arg)
	if err != nil || host == "" {
		return "", false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", false
	}
	return arg, true
}

// presentedChain connects to addr with the dialing layer's proxy and trust
// (the same as tether connect) and returns the chain the server presents.
func presentedChain(ctx context.Context, f *dialFlags, addr string) ([]*x509.Certificate, error) {
	cfg, err := f.config()
	if err != nil {
		return nil, err
	}
	d, err := transport.New("wss://"+addr+"/", cfg)
	if err != nil {
		return nil, err
	}
	// transport has no exported TLS dial; its HTTP client's transport dials
	// exactly as every Tether transport does (proxy tunnel, roots, TLS
	// settings), so take the connection from there.
	var tr *http.Transport
	switch t := d.HTTPClient().Transport.(type) {
	case *http.Transport:
		tr = t
	case interface{ HTTPTransport() *http.Transport }:
		tr = t.HTTPTransport()
	}
	if tr == nil || tr.DialTLSContext == nil {
		return nil, errors.New("internal error: the dialing layer's HTTP transport has no TLS dialer")
	}
	conn, err := tr.DialTLSContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("no TLS handshake with %s within the timeout: %w", addr, err)
		}
		return nil, err
	}
	defer conn.Close()
	tc, ok := conn.(*tls.Conn)
	if !ok {
		return nil, errors.New("internal error: the dialing layer returned a connection without TLS")
	}
	chain := tc.ConnectionState().PeerCertificates
	if len(chain) == 0 {
		return nil, fmt.Errorf("%s presented no certificate", addr)
	}
	return chain, nil
}
