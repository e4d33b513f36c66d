//go:build !js

package transport

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"sync"
	"weak"
)

// tlsShared is what the Dialers made with the same TLS settings share in a
// process: the root pool built from them (the system pool copied, CAFiles
// and CAPEM added: read and parsed once, not once per client, and held
// once: a copied system pool is hundreds of kilobytes) and the TLS session
// cache, so that a client resumes the session another client with the same
// settings made (an abbreviated handshake: no certificate sent or
// verified). It lives while a Dialer holds it.
type tlsShared struct {
	roots    *x509.CertPool
	sessions tls.ClientSessionCache
}

// tlsKey names the settings a shared pool and session cache depend on.
// Clients that differ in any of them share nothing: a session made with
// one client certificate would resume with that identity, and one
// verified against one root pool (or none, insecure) would skip another
// pool's verification, since a resumed handshake verifies no chain. Pins
// are not part of it: they are checked on resumed handshakes too.
type tlsKey struct {
	roots    *x509.CertPool // Config.RootCAs as given (nil: the system's)
	cas      [32]byte       // SHA-256 of CAPEM and of CAFiles' contents, in order
	certs    [32]byte       // SHA-256 of the client certificates' chains
	insecure bool
}

var shared struct {
	mu sync.Mutex
	m  map[tlsKey]weak.Pointer[tlsShared]
}

// sharedTLS returns the shared state for c's TLS settings, building the
// root pool when no live Dialer holds one for them. Errors name the CA
// setting to fix (*ConfigError).
func sharedTLS(c *Config) (*tlsShared, error) {
	key := tlsKey{roots: c.RootCAs, insecure: c.DangerousInsecureSkipVerify}
	h := sha256.New()
	files := make([][]byte, len(c.CAFiles))
	for i, f := range c.CAFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, &ConfigError{Field: fmt.Sprintf("CAFiles[%d]", i), Value: f, Err: err}
		}
		files[i] = data
	}
	for _, p := range c.CAPEM {
		hashPart(h, p)
	}
	h.Write([]byte{0})
	for _, p := range files {
		hashPart(h, p)
	}
	h.Sum(key.cas[:0])
	h.Reset()
	for _, cert := range c.Certificates {
		for _, der := range cert.Certificate {
			hashPart(h, der)
		}
		h.Write([]byte{0})
	}
	h.Sum(key.certs[:0])

	shared.mu.Lock()
	defer shared.mu.Unlock()
	if s := shared.m[key].Value(); s != nil {
		return s, nil
	}
	roots, err := buildRoots(c, files)
	if err != nil {
		return nil, err
	}
	s := &tlsShared{roots: roots, sessions: tls.NewLRUClientSessionCache(0)}
	if shared.m == nil {
		shared.m = make(map[tlsKey]weak.Pointer[tlsShared])
	}
	wp := weak.Make(s)
	shared.m[key] = wp
	runtime.AddCleanup(s, func(k tlsKey) {
		shared.mu.Lock()
		defer shared.mu.Unlock()
		if shared.m[k] == wp {
			delete(shared.m, k)
		}
	}, key)
	return s, nil
}

// hashPart writes p with its length, so that parts cannot run together.
func hashPart(h interface{ Write([]byte) (int, error) }, p []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(p)))
	h.Write(n[:])
	h.Write(p)
}

// sharedTLSEntries is how many settings have live shared state (tests).
func sharedTLSEntries() int {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	return len(shared.m)
}
