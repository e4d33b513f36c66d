package transport

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// Class sorts a connection failure by what a client should do about it.
type Class int

const (
	// ClassNetwork: the network failed (refused, reset, timed out, DNS).
	// Retry with backoff.
	ClassNetwork Class = iota
	// ClassRefused: the network refused the WebSocket upgrade (stripped,
	// forbidden, or answered as a plain request). Fall back to another
	// transport at once.
	ClassRefused
	// ClassUnauthorized: the server refused the credentials (401, or 403 when
	// Config.ForbiddenIsUnauthorized). Stop, unless credentials can be
	// refreshed.
	ClassUnauthorized
	// ClassServer: the server failed or is overloaded (5xx, 429). Retry after
	// HandshakeError.RetryAfter or with backoff.
	ClassServer
	// ClassTLS: TLS verification or a pin failed. Permanent.
	ClassTLS
	// ClassProxy: the proxy failed or refused the tunnel. Retry with backoff;
	// a 407 will not heal by itself.
	ClassProxy
	// ClassConfig: a setting or URL is wrong. Permanent.
	ClassConfig
	// ClassCanceled: the caller's context ended (canceled or past its
	// deadline).
	ClassCanceled
	// ClassProtocol: the server does not speak the protocol, or broke it, or
	// refused the request as malformed. Permanent.
	ClassProtocol
)

var classNames = [...]string{"network", "refused", "unauthorized", "server", "tls", "proxy", "config", "canceled", "protocol"}

func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Permanent reports whether retrying the same request cannot help.
func (c Class) Permanent() bool { return c == ClassTLS || c == ClassConfig || c == ClassProtocol }

// Classer is an error that knows its Class (the client's protocol and
// server errors). Classify asks the outermost one in an error's chain.
type Classer interface {
	error
	Class() Class
}

// Classify returns the Class of an error from this package (or from a
// transport or client built on it: see Classer). A context's error is
// ClassCanceled. Unknown errors are ClassNetwork.
func Classify(err error) Class {
	var (
		cl Classer
		he *HandshakeError
		pe *ProxyError
		ue *URLError
		ce *ConfigError
	)
	switch {
	case err == nil:
		return ClassNetwork
	case errors.As(err, &cl):
		return cl.Class()
	case errors.As(err, &he):
		return he.Class
	case errors.Is(err, ErrPinMismatch):
		return ClassTLS
	case errors.As(err, &pe):
		return ClassProxy
	case errors.As(err, &ue), errors.As(err, &ce):
		return ClassConfig
	}
	if c, ok := classifyPlatform(err); ok {
		return c
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ClassCanceled
	}
	return ClassNetwork
}

// ClassifyStatus returns the Class of an HTTP answer to a WebSocket upgrade
// or to a fallback transport's request that did not succeed.
// forbiddenIsUnauthorized makes a 403 mean bad credentials rather than a
// network that forbids the upgrade.
func ClassifyStatus(code int, forbiddenIsUnauthorized bool) Class {
	switch {
	case code == 401:
		return ClassUnauthorized
	case code == 403 && forbiddenIsUnauthorized:
		return ClassUnauthorized
	case code == 407:
		return ClassProxy
	case code == 429, code >= 500 && code != 501:
		return ClassServer
	default:
		// 2xx without an upgrade, 3xx (captive portals), 400, 403, 404, 405,
		// 426, 501 and the rest: something on the way did not let the
		// upgrade (or the request) through.
		return ClassRefused
	}
}

// RetryAfter parses a Retry-After header (seconds or an HTTP date) relative
// to now. It returns 0 when the header is absent or unusable.
func RetryAfter(h Header, now time.Time) time.Duration {
	v := headerGet(h, "Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > 24*3600 {
			secs = 24 * 3600
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := parseHTTPTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, 24*time.Hour)
		}
	}
	return 0
}

// headerGet is h.Get(key) for a canonical key.
func headerGet(h Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
