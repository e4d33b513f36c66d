//go:build !js

package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultDialTimeout is the TCP connect timeout when Config.DialTimeout is zero.
const DefaultDialTimeout = 10 * time.Second

// Dialer connects to one target with one Config. It yields WebSocket
// connections (dialWebSocket) and an *http.Client (HTTPClient) that share the
// same proxy, TLS settings and pins. A Dialer is safe for concurrent use.
type Dialer struct {
	target Target
	cfg    Config // a copy; slices are not modified

	roots       *x509.CertPool // nil: system roots
	shared      *tlsShared     // held: roots and sessions live while this Dialer does
	pins        pinSet
	proxy       func(*url.URL) (*url.URL, error)
	proxyTLS    *tls.Config
	sessions    tls.ClientSessionCache
	dialTimeout time.Duration

	httpOnce   sync.Once
	httpClient *http.Client

	rtt   atomic.Int64 // RTT, in nanoseconds
	spare spareSlot    // a refused upgrade's connection, for the fallback's request
}

// New checks rawURL against the URL rules and cfg for errors, reads CA files
// and (when cfg.Proxy is nil) the proxy environment, and returns a Dialer.
// Every problem is a *URLError or *ConfigError naming what to fix.
func New(rawURL string, cfg *Config) (*Dialer, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	target, err := ParseTarget(rawURL, c.URLRules)
	if err != nil {
		return nil, err
	}
	d := &Dialer{target: target, cfg: c, sessions: c.TLSSessionCache, dialTimeout: c.DialTimeout}
	if d.dialTimeout <= 0 {
		d.dialTimeout = DefaultDialTimeout
	}
	if c.MinTLSVersion != 0 && c.MinTLSVersion < tls.VersionTLS12 {
		return nil, &ConfigError{Field: "MinTLSVersion", Value: tls.VersionName(c.MinTLSVersion), Err: errors.New("TLS older than 1.2 is not supported")}
	}
	if d.shared, err = sharedTLS(&c); err != nil {
		return nil, err
	}
	d.roots = d.shared.roots
	if d.sessions == nil {
		d.sessions = d.shared.sessions
	}
	if d.pins, err = parsePins(c.Pins); err != nil {
		return nil, err
	}
	if len(d.pins) > 0 && c.DangerousInsecureSkipVerify {
		return nil, &ConfigError{Field: "DangerousInsecureSkipVerify", Err: errors.New("pins need a verified chain; remove the pins or turn verification back on")}
	}
	d.proxy = c.Proxy
	if d.proxy == nil {
		if d.proxy, err = ProxyFromEnvironment(); err != nil {
			return nil, err
		}
	}
	d.proxyTLS = c.ProxyTLS
	if d.proxyTLS == nil {
		d.proxyTLS = &tls.Config{RootCAs: d.roots, MinVersion: tls.VersionTLS12}
	}
	return d, nil
}

// Target returns the target after the URL rules.
func (d *Dialer) Target() Target { return d.target }

// buildRoots returns the pool to verify the target with; nil means the
// system roots unchanged. files are CAFiles' contents, read by the caller.
func buildRoots(c *Config, files [][]byte) (*x509.CertPool, error) {
	if len(c.CAPEM) == 0 && len(c.CAFiles) == 0 {
		return c.RootCAs, nil
	}
	var pool *x509.CertPool
	if c.RootCAs != nil {
		pool = c.RootCAs.Clone()
	} else {
		sys, err := x509.SystemCertPool()
		if err != nil || sys == nil {
			sys = x509.NewCertPool()
		}
		pool = sys
	}
	add := func(field, value string, data []byte) error {
		if !pool.AppendCertsFromPEM(data) {
			return &ConfigError{Field: field, Value: value, Err: errors.New("no PEM certificate found in it")}
		}
		return nil
	}
	for i, p := range c.CAPEM {
		if err := add(fmt.Sprintf("CAPEM[%d]", i), "", p); err != nil {
			return nil, err
		}
	}
	for i, f := range c.CAFiles {
		if err := add(fmt.Sprintf("CAFiles[%d]", i), f, files[i]); err != nil {
			return nil, err
		}
	}
	return pool, nil
}
