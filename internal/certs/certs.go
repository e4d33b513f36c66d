package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

const (
	// caValidity is how long a CA certificate made here stays valid.
	caValidity = 10 * 365 * 24 * time.Hour
	// leafValidity is how long a leaf certificate made here stays valid.
	leafValidity = 2 * 365 * 24 * time.Hour
	// backdate is how far into the past NotBefore is set, to tolerate clock skew.
	backdate = time.Hour
)

// CA is a certificate authority: a root made by [NewCA] or an intermediate
// made by [CA.NewIntermediate]. It signs leaves with [CA.Issue].
type CA struct {
	// Cert is the CA's own certificate.
	Cert *x509.Certificate

	key    *ecdsa.PrivateKey
	der    []byte
	parent *CA // nil for a root
}

// Leaf is an end-entity certificate with its private key and the chain of
// intermediates (not the root) between it and its root.
type Leaf struct {
	// Cert is the leaf certificate.
	Cert *x509.Certificate
	// Key is the leaf's private key.
	Key *ecdsa.PrivateKey

	der   []byte
	chain [][]byte // intermediates, nearest first; root excluded
}

// NewCA returns a fresh self-signed root CA named name (the subject's
// common name) with an ECDSA P-256 key, valid from an hour ago for ten years.
func NewCA(name string) (*CA, error) {
	return newCA(name, nil)
}

// NewIntermediate returns a fresh intermediate CA named name, signed by ca.
// Leaves it issues carry it (and any intermediates above it) in their chain.
func (ca *CA) NewIntermediate(name string) (*CA, error) {
	if ca == nil {
		return nil, errors.New("certs: NewIntermediate on nil CA")
	}
	return newCA(name, ca)
}

func newCA(name string, parent *CA) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("certs: generate CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	notAfter := now.Add(caValidity)
	if parent != nil && notAfter.After(parent.Cert.NotAfter) {
		notAfter = parent.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"Tether test PKI"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true, // Go always marks basic constraints critical.
		IsCA:                  true,
	}
	signerCert, signerKey := tmpl, key
	if parent != nil {
		signerCert, signerKey = parent.Cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, &key.PublicKey, signerKey)
	if err != nil {
		return nil, fmt.Errorf("certs: create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certs: parse CA certificate: %w", err)
	}
	return &CA{Cert: cert, key: key, der: der, parent: parent}, nil
}

// Issue returns a fresh leaf certificate, signed by ca, usable for both
// server and client authentication. Each host that parses as an IP address
// becomes an IP SAN; every other host becomes a DNS SAN. The first host, if
// any, is also the subject's common name.
func (ca *CA) Issue(hosts ...string) (*Leaf, error) {
	if ca == nil {
		return nil, errors.New("certs: Issue on nil CA")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("certs: generate leaf key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	notAfter := now.Add(leafValidity)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"Tether test PKI"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	if len(hosts) > 0 {
		tmpl.Subject.CommonName = hosts[0]
	}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if ip := net.ParseIP(strings.Trim(h, "[]")); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("certs: create leaf certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certs: parse leaf certificate: %w", err)
	}
	var chain [][]byte
	for c := ca; c != nil && c.parent != nil; c = c.parent {
		chain = append(chain, c.der)
	}
	return &Leaf{Cert: cert, Key: key, der: der, chain: chain}, nil
}

// CertPEM returns the CA's certificate, PEM encoded.
func (ca *CA) CertPEM() []byte {
	return pemCert(ca.der)
}

// Pool returns a new pool holding only this CA's certificate, suitable for
// tls.Config.RootCAs or ClientCAs. For an intermediate, the pool trusts the
// intermediate itself as an anchor.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Root returns the root CA at the top of ca's chain (ca itself for a root).
func (ca *CA) Root() *CA {
	c := ca
	for c.parent != nil {
		c = c.parent
	}
	return c
}

// CertPEM returns the leaf certificate followed by its intermediates, PEM
// encoded: the chain a server presents (the root is not included).
func (l *Leaf) CertPEM() []byte {
	out := pemCert(l.der)
	for _, d := range l.chain {
		out = append(out, pemCert(d)...)
	}
	return out
}

// KeyPEM returns the leaf's private key as a PKCS #8 "PRIVATE KEY" PEM block.
func (l *Leaf) KeyPEM() []byte {
	der, err := x509.MarshalPKCS8PrivateKey(l.Key)
	if err != nil {
		// Cannot happen for a P-256 key generated by this package.
		panic("certs: marshal leaf key: " + err.Error())
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// TLSCertificate returns the leaf as a tls.Certificate carrying the leaf,
// its intermediates and its private key, ready for tls.Config.Certificates.
func (l *Leaf) TLSCertificate() tls.Certificate {
	chain := make([][]byte, 0, 1+len(l.chain))
	chain = append(chain, l.der)
	chain = append(chain, l.chain...)
	return tls.Certificate{Certificate: chain, PrivateKey: l.Key, Leaf: l.Cert}
}

// Intermediates returns the intermediate certificates between the leaf and
// its root, nearest first (empty when the root issued the leaf directly).
func (l *Leaf) Intermediates() []*x509.Certificate {
	out := make([]*x509.Certificate, 0, len(l.chain))
	for _, d := range l.chain {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			panic("certs: parse intermediate: " + err.Error())
		}
		out = append(out, c)
	}
	return out
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func newSerial() (*big.Int, error) {
	s, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("certs: serial: %w", err)
	}
	return s.Add(s, big.NewInt(1)), nil
}
