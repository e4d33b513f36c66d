package certs

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// CAKeyFile holds the root CA's PKCS #8 private key (PEM), mode 0600, written
// by [LoadOrSelfSigned] so that a later start can issue a new leaf from the
// same CA.
const CAKeyFile = "ca-key.pem"

// minRemaining is how long a reused certificate must still be valid.
const minRemaining = 24 * time.Hour

// LoadOrSelfSigned returns the CA and leaf in dir when they can serve hosts
// (default [DefaultHosts]): clients that trust dir's ca.pem keep trusting
// the server across restarts. A leaf that does not cover hosts (or expires
// within a day) is replaced by one from the same CA when ca-key.pem is
// there. Otherwise, or when dir holds no CA, it mints a fresh CA and leaf
// like [SelfSigned] and keeps the CA's key in ca-key.pem. reused reports
// that the CA in dir was kept.
func LoadOrSelfSigned(dir string, hosts ...string) (ca *CA, leaf *Leaf, reused bool, err error) {
	if len(hosts) == 0 {
		hosts = DefaultHosts
	}
	if ca, err := loadCA(dir); err == nil {
		if leaf, err := loadLeaf(dir); err == nil && serves(leaf, ca, hosts) {
			return ca, leaf, true, nil
		}
		if ca.key != nil {
			leaf, err := ca.Issue(hosts...)
			if err != nil {
				return nil, nil, false, err
			}
			if err := WriteFiles(dir, ca, leaf); err != nil {
				return nil, nil, false, err
			}
			return ca, leaf, true, nil
		}
	}
	ca, leaf, err = SelfSigned(dir, hosts...)
	if err != nil {
		return nil, nil, false, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return nil, nil, false, fmt.Errorf("certs: marshal CA key: %w", err)
	}
	if err := writeFile(filepath.Join(dir, CAKeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, nil, false, err
	}
	return ca, leaf, false, nil
}

// loadCA reads ca.pem, and ca-key.pem when it matches (else the CA has no
// key and cannot issue).
func loadCA(dir string) (*CA, error) {
	certs, err := readCerts(filepath.Join(dir, CAFile))
	if err != nil || len(certs) != 1 || !certs[0].IsCA {
		return nil, errors.New("certs: no usable CA")
	}
	c := certs[0]
	if time.Until(c.NotAfter) < minRemaining {
		return nil, errors.New("certs: CA expires soon")
	}
	ca := &CA{Cert: c, der: c.Raw}
	if key, err := readKey(filepath.Join(dir, CAKeyFile)); err == nil && key.PublicKey.Equal(c.PublicKey) {
		ca.key = key
	}
	return ca, nil
}

// loadLeaf reads cert.pem (leaf, then intermediates) and key.pem.
func loadLeaf(dir string) (*Leaf, error) {
	certs, err := readCerts(filepath.Join(dir, CertFile))
	if err != nil || len(certs) == 0 {
		return nil, errors.New("certs: no usable leaf")
	}
	key, err := readKey(filepath.Join(dir, KeyFile))
	if err != nil || !key.PublicKey.Equal(certs[0].PublicKey) {
		return nil, errors.New("certs: no usable leaf key")
	}
	l := &Leaf{Cert: certs[0], Key: key, der: certs[0].Raw}
	for _, c := range certs[1:] {
		l.chain = append(l.chain, c.Raw)
	}
	return l, nil
}

// serves reports whether leaf chains to ca, covers every host and stays
// valid for a while.
func serves(leaf *Leaf, ca *CA, hosts []string) bool {
	if time.Until(leaf.Cert.NotAfter) < minRemaining {
		return false
	}
	inter := x509.NewCertPool()
	for _, c := range leaf.Intermediates() {
		inter.AddCert(c)
	}
	for _, h := range hosts {
		if _, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), Intermediates: inter, DNSName: h}); err != nil {
			return false
		}
	}
	return true
}

func readCerts(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out, nil
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
}

func readKey(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, errors.New("certs: no PKCS #8 key")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("certs: not an ECDSA key")
	}
	return ek, nil
}
