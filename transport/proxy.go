//go:build !js

package transport

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"golang.org/x/net/http/httpproxy"
)

// NoProxy is a Config.Proxy that never uses a proxy.
func NoProxy(*url.URL) (*url.URL, error) { return nil, nil }

// FixedProxy returns a Config.Proxy that sends every connection through the
// proxy at rawURL (http:// or https://, with optional user:password). The URL
// is checked now; a bad one is a *ConfigError.
func FixedProxy(rawURL string) (func(*url.URL) (*url.URL, error), error) {
	u, err := parseProxyURL("proxy", rawURL)
	if err != nil {
		return nil, err
	}
	return func(*url.URL) (*url.URL, error) { return u, nil }, nil
}

// ProxyFromEnvironment reads HTTPS_PROXY, HTTP_PROXY and NO_PROXY (lower-case
// names first, as net/http does) now, checks the proxy URLs, and returns a
// Config.Proxy. A bad value is a *ConfigError naming the variable.
// Loopback targets are never proxied.
func ProxyFromEnvironment() (func(*url.URL) (*url.URL, error), error) {
	cfg := &httpproxy.Config{CGI: os.Getenv("REQUEST_METHOD") != ""}
	for _, v := range []struct {
		dst   *string
		names []string
	}{
		{&cfg.HTTPSProxy, []string{"https_proxy", "HTTPS_PROXY"}},
		{&cfg.HTTPProxy, []string{"http_proxy", "HTTP_PROXY"}},
	} {
		for _, name := range v.names {
			val := os.Getenv(name)
			if val == "" {
				continue
			}
			u, err := parseProxyURL(name, val)
			if err != nil {
				return nil, err
			}
			*v.dst = u.String()
			break
		}
	}
	cfg.NoProxy = firstEnv("no_proxy", "NO_PROXY")
	f := cfg.ProxyFunc()
	return func(target *url.URL) (*url.URL, error) {
		return f(httpURL(target))
	}, nil
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// httpURL maps ws and wss to http and https, which is all httpproxy knows.
func httpURL(u *url.URL) *url.URL {
	switch u.Scheme {
	case "ws":
		c := *u
		c.Scheme = "http"
		return &c
	case "wss":
		c := *u
		c.Scheme = "https"
		return &c
	}
	return u
}

// parseProxyURL checks a proxy URL the way httpproxy reads it (a bare
// host:port means http://host:port), but refuses what it would accept
// quietly. field names the setting or variable in the error.
func parseProxyURL(field, raw string) (*url.URL, error) {
	bad := func(err error) (*url.URL, error) {
		return nil, &ConfigError{Field: field, Value: redactURL(raw), Err: err}
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return bad(errors.New("empty proxy URL"))
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return bad(fmt.Errorf("does not parse as a URL: %w", err))
	}
	switch u.Scheme {
	case "http", "https":
	case "socks5", "socks5h":
		return bad(errors.New("SOCKS proxies are not supported; use an http:// or https:// proxy"))
	default:
		return bad(fmt.Errorf("unsupported proxy scheme %q; use http:// or https://", u.Scheme))
	}
	if u.Hostname() == "" {
		return bad(errors.New("no proxy host; expected http://host:port"))
	}
	if p := u.Port(); p != "" && !validPort(p) {
		return bad(fmt.Errorf("bad port %q", p))
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" {
		return bad(errors.New("a proxy URL has no path, query or fragment; expected http://host:port"))
	}
	return u, nil
}
