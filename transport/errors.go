package transport

import (
	"bytes"
	"errors"
	"strings"
	"time"

	"github.com/tether-sdk/tether/internal/xfmt"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrMixedContent: a ws:// URL was refused because the page origin is
	// secure (https). The fix is a wss:// URL.
	ErrMixedContent = errors.New("tether/transport: mixed content")
	// ErrInsecureURL: a ws:// URL to a host that is not loopback was refused.
	// The fix is a wss:// URL, or Config.InsecureAllowPlaintext.
	ErrInsecureURL = errors.New("tether/transport: plaintext WebSocket to a non-loopback host")
	// ErrBadURL: the URL cannot be used (unparsable, unsupported scheme, no host).
	ErrBadURL = errors.New("tether/transport: bad URL")
	// ErrPinMismatch: no configured pin matched the server's verified chain.
	ErrPinMismatch = errors.New("tether/transport: certificate pin mismatch")
	// ErrProxy: the proxy could not be reached or refused the tunnel.
	ErrProxy = errors.New("tether/transport: proxy failure")
	// ErrHandshake: the server answered, but not with the expected upgrade or
	// status.
	ErrHandshake = errors.New("tether/transport: handshake failed")
)

// URLError reports a URL that was refused, and how to fix it.
type URLError struct {
	URL    string // the URL as given (credentials redacted)
	Origin string // the page origin, if one was given
	Reason string // what is wrong
	Fix    string // what to do about it
	Err    error  // ErrMixedContent, ErrInsecureURL or ErrBadURL, possibly wrapping a parse error
}

func (e *URLError) Error() string {
	var b strings.Builder
	xfmt.Fprintf(&b, "tether/transport: refused URL %q", e.URL)
	if e.Origin != "" {
		xfmt.Fprintf(&b, " (page origin %q)", e.Origin)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Fix != "" {
		b.WriteString("; ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

func (e *URLError) Unwrap() error { return e.Err }

// ConfigError reports a setting that cannot be used: an unreadable PEM, a
// malformed pin, a bad proxy URL. Field names the setting or environment
// variable.
type ConfigError struct {
	Field string // e.g. "CAFiles[0]", "Pins[2]", "HTTPS_PROXY"
	Value string // the offending value (credentials redacted), may be empty
	Err   error
}

func (e *ConfigError) Error() string {
	if e.Value != "" {
		return xfmt.Sprintf("tether/transport: bad %s %q: %v", e.Field, e.Value, e.Err)
	}
	return xfmt.Sprintf("tether/transport: bad %s: %v", e.Field, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// PinError reports that none of the expected pins matched any certificate of
// the server's verified chain. It is permanent: retrying cannot fix it.
type PinError struct {
	Host      string   // the server's host name
	Presented []string // pins of the verified chain, leaf first
	Expected  []string // pins configured for Host
}

func (e *PinError) Error() string {
	return xfmt.Sprintf("tether/transport: certificate pin mismatch for %s: the server's verified chain has %s, expected one of %s; "+
		"if the server's key changed on purpose, update the pins (tether pin HOST:PORT prints them)",
		e.Host, strings.Join(e.Presented, ", "), strings.Join(e.Expected, ", "))
}

// Is makes errors.Is(err, ErrPinMismatch) true.
func (e *PinError) Is(target error) bool { return target == ErrPinMismatch }

// ProxyError reports a proxy that could not be reached or did not open the
// tunnel. For an HTTP answer other than 2xx, StatusCode, Status and
// ProxyAuthenticate carry what the proxy said.
type ProxyError struct {
	Proxy             string // the proxy URL, password redacted
	Target            string // host:port the tunnel was for
	Op                string // "dial", "tls" or "connect"
	StatusCode        int    // the proxy's status code, 0 if it gave none
	Status            string // the proxy's reason phrase, may be empty
	ProxyAuthenticate []string
	Err               error // the underlying error, if any
}

func (e *ProxyError) Error() string {
	var b strings.Builder
	xfmt.Fprintf(&b, "tether/transport: proxy %s", e.Proxy)
	switch {
	case e.StatusCode != 0:
		xfmt.Fprintf(&b, " refused CONNECT to %s: %d", e.Target, e.StatusCode)
		if e.Status != "" {
			b.WriteString(" " + e.Status)
		}
		if e.AuthRequired() {
			if e.StatusCode == 407 {
				b.WriteString(" (proxy authentication required")
			} else {
				b.WriteString(" (proxy authentication failed")
			}
			if len(e.ProxyAuthenticate) > 0 {
				xfmt.Fprintf(&b, ", challenge %q", strings.Join(e.ProxyAuthenticate, ", "))
			}
			b.WriteString(": give the proxy credentials in the proxy URL (http://user:pass@proxy:port) or Config.ProxyAuth)")
		}
	default:
		xfmt.Fprintf(&b, ": %s for %s failed", e.Op, e.Target)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// AuthRequired reports whether the proxy asked for (other) credentials: a 407,
// or a 401 (tinyproxy answers wrong credentials with 401).
func (e *ProxyError) AuthRequired() bool {
	return e.StatusCode == 407 || e.StatusCode == 401
}

func (e *ProxyError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrProxy) true.
func (e *ProxyError) Is(target error) bool { return target == ErrProxy }

// HandshakeError reports a server (or something pretending to be it) that
// answered the WebSocket upgrade or a fallback transport's request with
// something other than success.
type HandshakeError struct {
	Transport  string // "websocket", "sse" or "longpoll"
	URL        string
	StatusCode int    // 0 when the connection broke before an answer
	Status     string // e.g. "400 Bad Request"
	Header     Header // the answer's headers, nil when there was none
	Body       []byte // at most MaxErrorBody bytes of the answer's body
	Class      Class  // what a client should do about it
	RetryAfter time.Duration
	Err        error // the underlying error, if any
}

// MaxErrorBody bounds HandshakeError.Body: no more of an error answer's body
// is read (the rest is dropped with the connection), however long the
// server makes it.
const MaxErrorBody = 1024

func (e *HandshakeError) Error() string {
	var b strings.Builder
	xfmt.Fprintf(&b, "tether/transport: %s handshake with %s failed", e.Transport, e.URL)
	if e.StatusCode != 0 {
		xfmt.Fprintf(&b, ": %s", e.Status)
	}
	if h := e.Hint(); h != "" {
		b.WriteString(" (" + h + ")")
	}
	if e.Err != nil && !errors.Is(e.Err, errBadHandshakeStatus) {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Hint says what the answer most likely means and what to do about it ("" when
// nothing useful can be said).
func (e *HandshakeError) Hint() string {
	switch {
	case e.StatusCode == 404:
		return "no Tether endpoint at this URL: check the URL path"
	case e.Transport == "websocket" && e.StatusCode == 400 && UpgradeDropped(e):
		return "the server saw no WebSocket upgrade: a proxy on the way most likely dropped the Upgrade and Connection headers " +
			"(nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\"); the fallbacks still work"
	case e.Transport == "websocket" && e.StatusCode == 400:
		return "a 400 to the upgrade, not from the Tether server: a proxy on the way most likely refused or mangled the Upgrade header"
	case e.Class == ClassRefused && e.Transport == "websocket":
		return "the upgrade was refused or stripped on the way: a proxy or load balancer that does not pass WebSockets"
	case e.Class == ClassRefused:
		return "something on the way answered instead of the server, or held the answer back"
	case e.Class == ClassUnauthorized:
		return "the server refused the credentials"
	case e.Class == ClassServer && e.RetryAfter > 0:
		return xfmt.Sprintf("server error; retry after %v", e.RetryAfter)
	}
	return ""
}

// UpgradeDropped reports a WebSocket upgrade answered by a Tether server's
// bad_request "not a Tether request": the request reached the server
// without its Upgrade header, which a proxy on the way removed.
func UpgradeDropped(e *HandshakeError) bool {
	return e.StatusCode == 400 && bytes.Contains(e.Body, []byte("not a Tether request"))
}

func (e *HandshakeError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrHandshake) true.
func (e *HandshakeError) Is(target error) bool { return target == ErrHandshake }

// errBadHandshakeStatus stands for "the status was wrong" where there is no
// further cause worth printing.
var errBadHandshakeStatus = errors.New("unexpected status")
