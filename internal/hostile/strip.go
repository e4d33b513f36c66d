package hostile

import "crypto/tls"

// ReverseOptions configures a [StripUpgrade] proxy.
type ReverseOptions struct {
	// BackendTLS configures TLS to an https:// backend (for example RootCAs
	// from the certs package); nil uses the system defaults.
	BackendTLS *tls.Config
	// TLS, if set, serves the proxy itself over TLS with this certificate.
	TLS *tls.Certificate
}

// StripUpgrade is a streaming reverse proxy in front of one backend that,
// like an nginx location without Upgrade/Connection forwarding, removes the
// Upgrade, Connection and Sec-WebSocket-* headers from every request. A
// WebSocket handshake therefore reaches the backend as a plain GET (which a
// WebSocket server answers with 400), while responses are streamed and
// flushed on every write, header first, so SSE works through it.
type StripUpgrade struct{ r *reverse }

// NewStripUpgrade starts a StripUpgrade proxy on 127.0.0.1:0 in front of
// backend, an http:// or https:// base URL.
func NewStripUpgrade(backend string, opts ReverseOptions) (*StripUpgrade, error) {
	r, err := newReverse(reverseConfig{
		backend:    backend,
		backendTLS: opts.BackendTLS,
		cert:       opts.TLS,
		strip:      true,
	})
	if err != nil {
		return nil, err
	}
	return &StripUpgrade{r: r}, nil
}

// Addr returns the proxy's host:port.
func (s *StripUpgrade) Addr() string { return s.r.addr() }

// URL returns the proxy's base URL, http:// or https:// when serving TLS.
func (s *StripUpgrade) URL() string { return s.r.url() }

// Requests returns how many requests the proxy has received.
func (s *StripUpgrade) Requests() int64 { return s.r.requests.Load() }

// Stripped returns how many requests arrived asking for an upgrade and had
// it removed.
func (s *StripUpgrade) Stripped() int64 { return s.r.stripped.Load() }

// Close stops the proxy, severs every connection and waits for its
// goroutines.
func (s *StripUpgrade) Close() error { return s.r.close() }
