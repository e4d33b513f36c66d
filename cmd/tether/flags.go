package main

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/textproto"
	"os"
	"slices"
	"strings"

	"github.com/tether-sdk/tether/transport"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ", ") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// prefixesFlag is a repeatable flag of networks: CIDRs ("10.0.0.0/8") or
// single addresses ("192.0.2.1"), comma-separated or repeated.
type prefixesFlag []netip.Prefix

func (p *prefixesFlag) String() string {
	var s []string
	for _, x := range *p {
		s = append(s, x.String())
	}
	return strings.Join(s, ",")
}

func (p *prefixesFlag) Set(v string) error {
	for _, e := range strings.Split(v, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if a, err := netip.ParseAddr(e); err == nil {
			*p = append(*p, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		x, err := netip.ParsePrefix(e)
		if err != nil {
			return fmt.Errorf("%q is neither an address nor a CIDR network (e.g. 10.0.0.0/8)", e)
		}
		*p = append(*p, x.Masked())
	}
	return nil
}

// transportsFlag is --transports: a comma-separated order and subset of
// websocket, sse and longpoll.
type transportsFlag []string

var allTransports = []string{"websocket", "sse", "longpoll"}

func (t *transportsFlag) String() string { return strings.Join(*t, ",") }
func (t *transportsFlag) Set(v string) error {
	var out []string
	for _, name := range strings.Split(v, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		switch {
		case name == "":
			continue
		case !slices.Contains(allTransports, name):
			return fmt.Errorf("unknown transport %q (use websocket, sse, longpoll)", name)
		case slices.Contains(out, name):
			return fmt.Errorf("transport %q listed twice", name)
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		return errors.New("no transport given (use websocket, sse, longpoll)")
	}
	*t = out
	return nil
}

// flagSet is a flag.FlagSet that reports errors as one line and prints its
// help on request.
type flagSet struct {
	*flag.FlagSet
	name     string
	synopsis string // the usage line and what the command does
}

func newFlagSet(name, synopsis string) *flagSet {
	fs := flag.NewFlagSet("tether "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &flagSet{FlagSet: fs, name: name, synopsis: synopsis}
}

// parse parses args, allowing flags after positional arguments (a "--"
// ends the flags). When it returns done, the command exits with code: after
// -h (help printed on stdout, 0) or a bad flag (one line on stderr, 2).
func (fs *flagSet) parse(e *env, args []string) (pos []string, code int, done bool) {
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.help(e.stdout)
			return nil, exitOK, true
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "tether: %s: %v (see tether %s -h)\n", fs.name, err, fs.name)
			return nil, exitUsage, true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, false
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), 0, false
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func (fs *flagSet) help(w io.Writer) {
	fmt.Fprintln(w, strings.TrimSpace(fs.synopsis))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Flags (-flag and --flag are the same):")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// usageErr is bad usage: exit code 2.
type usageErr struct{ msg string }

func (e *usageErr) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageErr{msg: fmt.Sprintf(format, args...)}
}

// dialFlags are the flags that configure transport.Config.
type dialFlags struct {
	proxy   string
	cacerts listFlag
	cert    string
	key     string
	pins    listFlag
	origin  string
}

// register adds --proxy and --cacert, and with full those only connect
// has: --cert, --key, --pin and --origin.
func (d *dialFlags) register(fs *flagSet, full bool) {
	fs.StringVar(&d.proxy, "proxy", "", "proxy `URL` (http:// or https://, user:pass@ for Basic auth); \"none\" for no proxy\n(default: HTTPS_PROXY, HTTP_PROXY and NO_PROXY from the environment, like net/http)")
	fs.Var(&d.cacerts, "cacert", "trust the CA certificates in this PEM `FILE` in addition to the system's (repeatable)")
	if !full {
		return
	}
	fs.StringVar(&d.cert, "cert", "", "client certificate PEM `FILE` for mutual TLS (with --key)")
	fs.StringVar(&d.key, "key", "", "private key PEM `FILE` of --cert")
	fs.Var(&d.pins, "pin", "accept the server only if its verified chain has this `sha256/BASE64` pin (repeatable;\ntether pin HOST:PORT prints them)")
	fs.StringVar(&d.origin, "origin", "", "page origin `URL` to act as (sent as the Origin header; a https origin refuses ws:// URLs)")
}

// config builds the transport.Config, checking every value. Errors are
// usage errors (exit 2) naming the flag.
func (d *dialFlags) config() (*transport.Config, error) {
	cfg := &transport.Config{}
	switch p := strings.TrimSpace(d.proxy); {
	case p == "":
		// nil: the environment
	case strings.EqualFold(p, "none"):
		cfg.Proxy = transport.NoProxy
	default:
		f, err := transport.FixedProxy(p)
		if err != nil {
			return nil, usagef("--proxy: %s", clean(err.Error()))
		}
		cfg.Proxy = f
	}
	for _, f := range d.cacerts {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, usagef("--cacert %s: %s", f, fileErr(err))
		}
		if _, err := transport.PinsFromPEM(data); err != nil {
			return nil, usagef("--cacert %s: no PEM certificate in it", f)
		}
		cfg.CAFiles = append(cfg.CAFiles, f)
	}
	if (d.cert == "") != (d.key == "") {
		return nil, usagef("--cert and --key go together: give both or neither")
	}
	if d.cert != "" {
		for _, f := range []string{d.cert, d.key} {
			if _, err := os.Stat(f); err != nil {
				return nil, usagef("%s: %s", f, fileErr(err))
			}
		}
		c, err := transport.LoadClientCertificate(d.cert, d.key)
		if err != nil {
			var ce *transport.ConfigError
			if errors.As(err, &ce) {
				err = ce.Err
			}
			return nil, usagef("--cert %s --key %s: %v", d.cert, d.key, err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	for _, p := range d.pins {
		if err := checkPin(p); err != nil {
			return nil, usagef("--pin %q: %v", p, err)
		}
		cfg.Pins = append(cfg.Pins, transport.Pin{Hash: p}) // empty Host: the target
	}
	if d.origin != "" {
		cfg.Origin = d.origin
	}
	return cfg, nil
}

// checkPin checks a pin's format as transport does, for a clearer message.
func checkPin(p string) error {
	rest, ok := strings.CutPrefix(p, "sha256/")
	if !ok {
		return errors.New(`a pin is "sha256/" followed by base64 (tether pin prints them)`)
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(raw) != sha256.Size {
		return errors.New("the part after sha256/ must be the standard base64 of 32 bytes (44 characters)")
	}
	return nil
}

// parseHeader parses --header 'Name: value'.
func parseHeader(h http.Header, line string) error {
	name, value, ok := strings.Cut(line, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return usagef("--header %q: expected 'Name: value'", line)
	}
	for _, c := range name {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", c) {
			return usagef("--header %q: %q is not a valid header name", line, name)
		}
	}
	value = strings.TrimSpace(value)
	if strings.ContainsAny(value, "\r\n\x00") {
		return usagef("--header %q: the value contains a line break", line)
	}
	h.Add(textproto.CanonicalMIMEHeaderKey(name), value)
	return nil
}

// fileErr describes a file error without repeating the path.
func fileErr(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "no such file"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
