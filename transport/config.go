//go:build !js

package transport

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"time"
)

// DefaultUserTimeout is TCP_USER_TIMEOUT (Linux) when Config.UserTimeout is
// zero.
const DefaultUserTimeout = 15 * time.Second

// Config holds every setting of the dialing layer. The zero value (or a nil
// *Config) means: system roots, no pins, the proxy from the environment,
// TLS 1.2 or later. A Config is read by New and never modified; change a copy.
type Config struct {
	// URLRules: the page origin and whether plaintext is allowed; see
	// ParseTarget.
	URLRules

	// RootCAs replaces the system roots when set. Nil: the system roots.
	RootCAs *x509.CertPool
	// CAPEM are extra CA certificates (PEM) trusted in addition to RootCAs or
	// the system roots. Nil: none.
	CAPEM [][]byte
	// CAFiles are files of extra CA certificates (PEM), read by New. Nil: none.
	CAFiles []string
	// Certificates are client certificates for mutual TLS. Nil: none.
	// LoadClientCertificate reads one from PEM files.
	Certificates []tls.Certificate
	// Pins are certificate pins for the target; see Pin. Nil: no pinning.
	Pins []Pin
	// MinTLSVersion is the lowest TLS version accepted. Zero: TLS 1.2. Lower
	// values are refused.
	MinTLSVersion uint16
	// TLSSessionCache caches TLS sessions for resumption. Nil: one cache
	// shared by the Dialers of the process made with the same TLS settings
	// (RootCAs, CAPEM, CAFiles' contents, Certificates and
	// DangerousInsecureSkipVerify: sessions never cross a difference in
	// identity or trust), so that one client resumes what another made.
	// Pins are checked on resumed sessions too.
	TLSSessionCache tls.ClientSessionCache

	// DangerousInsecureSkipVerify turns certificate verification off, so
	// anyone on the path can read and change the traffic. It cannot be
	// combined with Pins. For throwaway tests only. Zero: verification on.
	DangerousInsecureSkipVerify bool

	// Proxy chooses the proxy for a target URL (http:// or https://, ws and
	// wss already mapped). Nil: the environment (HTTPS_PROXY, HTTP_PROXY,
	// NO_PROXY, read once by New), see ProxyFromEnvironment. Use NoProxy for
	// none and FixedProxy for one proxy. A proxy URL is http:// or https://.
	Proxy func(target *url.URL) (*url.URL, error)
	// ProxyAuth are Basic credentials for the proxy, used instead of any in
	// the proxy URL. Nil: the proxy URL's, if any. They are sent only to the
	// proxy, in the CONNECT request.
	ProxyAuth *url.Userinfo
	// ProxyHeader holds extra headers for the CONNECT request. Nil: none.
	ProxyHeader http.Header
	// ProxyTLS configures TLS to an https:// proxy. Nil: the same roots as
	// the target (RootCAs, CAPEM, CAFiles or the system's), no pins, no
	// client certificate.
	ProxyTLS *tls.Config

	// DialTimeout bounds the TCP connect (to the target or the proxy), and
	// the proxy's CONNECT answer. Zero: 10 s. The caller's ctx bounds the rest.
	DialTimeout time.Duration

	// UserTimeout is how long data written on a socket may stay
	// unacknowledged by the peer's TCP before the kernel drops the
	// connection (TCP_USER_TIMEOUT), on Linux; longer than the client's own
	// bound on a late answer (client.Options.AckTimeout, 3 s by default), so
	// the client's probe moves the session first and the kernel is the
	// backstop. Every platform also gets TCP keep-alive (probes after 30 s
	// idle, every 5 s, 3 unanswered drop the connection). darwin has no
	// TCP_USER_TIMEOUT (only TCP_CONNECTIONTIMEOUT, for the connect) and
	// windows neither: there keep-alive and the client's probe are what
	// find a dead path; in the browser the browser decides. Zero:
	// DefaultUserTimeout (15 s); a client.Options with an AckTimeout over
	// 3 s makes it five times that. Negative: the system's default (on
	// Linux, retransmissions for about 15 minutes).
	UserTimeout time.Duration

	// ForbiddenIsUnauthorized makes a 403 answer mean "bad credentials"
	// (ClassUnauthorized) instead of "the network forbids the upgrade"
	// (ClassRefused). Zero: ClassRefused.
	ForbiddenIsUnauthorized bool
}

// LoadClientCertificate reads a client certificate and its key from PEM
// files, with a ConfigError naming the file that failed.
func LoadClientCertificate(certFile, keyFile string) (tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, &ConfigError{Field: "client certificate", Value: certFile + ", " + keyFile, Err: err}
	}
	return c, nil
}
