package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/transport"
)

// fail prints the one "tether: " line naming err's cause and returns the
// exit code: 2 for bad usage (a flag, URL, file or setting that cannot be
// used), 1 for everything else.
func fail(w io.Writer, err error) int {
	fmt.Fprintln(w, "tether: "+describe(err))
	if isUsage(err) {
		return exitUsage
	}
	return exitFailure
}

// isUsage reports errors the user fixes in the command line.
func isUsage(err error) bool {
	var (
		ue  *usageErr
		ure *transport.URLError
		ce  *transport.ConfigError
	)
	return errors.As(err, &ue) || errors.As(err, &ure) || errors.As(err, &ce)
}

// describe returns one line that names the cause of err and, where there is
// one, what to do about it.
func describe(err error) string {
	if err == nil {
		return "no error"
	}
	var (
		ue    *usageErr
		pin   *transport.PinError
		proxy *transport.ProxyError
		ure   *transport.URLError
		cfg   *transport.ConfigError
		ce    *client.ConnectError
		cle   *client.CloseError
		pe    *client.ProtocolError
		se    *client.ServerError
		sl    *client.SessionLostError
		he    *transport.HandshakeError
		le    *transport.LimitError
		dns   *net.DNSError
		op    *net.OpError
	)
	switch {
	case errors.As(err, &ue):
		return ue.msg
	case errors.As(err, &pin):
		return fmt.Sprintf("certificate pin mismatch for %s: the server's verified chain has %s, but --pin expects %s; "+
			"nothing was sent (if the key changed on purpose, tether pin HOST:PORT prints the new pins)",
			pin.Host, strings.Join(pin.Presented, ", "), strings.Join(pin.Expected, ", "))
	case errors.As(err, &ure):
		s := ure.Reason
		// The fix may name an API setting the command line does not have.
		if fix, _, _ := strings.Cut(ure.Fix, ", or set InsecureAllowPlaintext"); fix != "" {
			s += "; " + fix
		}
		return fmt.Sprintf("bad URL %q: %s", ure.URL, s)
	case errors.As(err, &cfg):
		return clean(cfg.Error())
	case errors.As(err, &cle) && cle.Code.Reconnect():
		return fmt.Sprintf("the server went away: %v %s", cle.Code, cle.Reason)
	case errors.As(err, &cle):
		return fmt.Sprintf("the server closed the session: %d %s", int(cle.Code), cle.Reason)
	case errors.As(err, &ce):
		return describeAttempts(ce)
	case errors.As(err, &proxy):
		return describeProxy(proxy)
	case errors.As(err, &sl):
		return fmt.Sprintf("session lost: the server no longer knew it (it restarted, or the session expired); %d sent message(s) may not have arrived",
			sl.Unacknowledged)
	case errors.As(err, &se):
		return clean(se.Error())
	case errors.As(err, &pe):
		return clean(pe.Error())
	case errors.As(err, &le):
		// The transport is named where the error is shown (an attempt, an
		// event); the same bound hit on several transports reads alike.
		return strings.TrimPrefix(clean(le.Error()), le.Transport+": ")
	case errors.As(err, &he):
		return describeHandshake(he)
	case errors.As(err, &dns):
		return fmt.Sprintf("cannot resolve %s: %s", dns.Name, dns.Err)
	case errors.As(err, &op) && op.Op == "dial":
		s := fmt.Sprintf("cannot connect to %s: %s", opAddr(op), errnoText(op.Err))
		if errors.Is(err, syscall.ECONNREFUSED) {
			s += " (nothing listens there)"
		}
		return s
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out: " + clean(err.Error())
	}
	return clean(err.Error())
}

// describeAttempts summarises a connect in which every transport failed:
// once when they failed alike, else transport by transport.
func describeAttempts(ce *client.ConnectError) string {
	if len(ce.Attempts) == 0 {
		return "could not connect"
	}
	names := make([]string, 0, len(ce.Attempts))
	causes := make([]string, 0, len(ce.Attempts))
	same := true
	for _, a := range ce.Attempts {
		names = append(names, a.Transport)
		c := strings.TrimPrefix(describe(a.Err), a.Transport+": ") // the library names the transport too
		if len(causes) > 0 && c != causes[0] {
			same = false
		}
		causes = append(causes, c)
	}
	if same {
		return fmt.Sprintf("could not connect (tried %s): %s", strings.Join(names, ", "), causes[0])
	}
	parts := make([]string, len(names))
	for i := range names {
		parts[i] = names[i] + ": " + causes[i]
	}
	return "could not connect: " + strings.Join(parts, "; ")
}

func describeProxy(p *transport.ProxyError) string {
	switch {
	case p.StatusCode == http.StatusProxyAuthRequired:
		return fmt.Sprintf("proxy %s answered 407 %s: proxy authentication required; give credentials with --proxy http://user:pass@host:port",
			p.Proxy, statusText(p))
	case p.AuthRequired():
		return fmt.Sprintf("proxy %s answered %d %s: proxy authentication failed (wrong credentials?); check the user:pass in --proxy",
			p.Proxy, p.StatusCode, statusText(p))
	case p.StatusCode != 0:
		return fmt.Sprintf("proxy %s refused the tunnel to %s: %d %s", p.Proxy, p.Target, p.StatusCode, statusText(p))
	case p.Op == "dial":
		return fmt.Sprintf("cannot reach the proxy %s: %s", p.Proxy, clean(errString(p.Err)))
	}
	return clean(p.Error())
}

func statusText(p *transport.ProxyError) string {
	if p.Status != "" {
		return p.Status
	}
	return http.StatusText(p.StatusCode)
}

func describeHandshake(he *transport.HandshakeError) string {
	if he.StatusCode == 0 {
		return clean(he.Error())
	}
	s := fmt.Sprintf("%s: the server answered %s", he.Transport, he.Status)
	if h := he.Hint(); h != "" {
		s += ": " + h
	}
	return s
}

// opAddr is the address a net.OpError was about.
func opAddr(op *net.OpError) string {
	if op.Addr != nil {
		return op.Addr.String()
	}
	return op.Net
}

// errnoText is a system call error without the call's name
// ("connection refused", not "connect: connection refused").
func errnoText(err error) string {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err.Error()
	}
	return clean(errString(err))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// clean makes an error text one line without the packages' prefixes.
func clean(s string) string {
	for _, p := range []string{"tether/transport: ", "tether/server: ", "tether: ", "fallback: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
	return s
}

// withoutClosed drops client.ErrClosed from the errors a closed client
// joins to its cause, so that describe names the cause.
func withoutClosed(err error) error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return err
	}
	var rest []error
	for _, e := range j.Unwrap() {
		if e != client.ErrClosed {
			rest = append(rest, e)
		}
	}
	switch len(rest) {
	case 0:
		return err
	case 1:
		return rest[0]
	}
	return errors.Join(rest...)
}
