//go:build !js

package transport

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Pin is one certificate pin in OkHttp's format.
type Pin struct {
	// Host is the host pattern the pin applies to: "api.example.com" (exact),
	// "*.example.com" (exactly one more label), "**.example.com" (the domain
	// and any subdomain). Empty: every host this Dialer connects to.
	Host string
	// Hash is "sha256/" followed by the standard base64 of the SHA-256 of the
	// certificate's SubjectPublicKeyInfo (what `tether pin` prints).
	Hash string
}

// SPKIPin returns the pin of a certificate: "sha256/<base64>".
func SPKIPin(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256/" + base64.StdEncoding.EncodeToString(sum[:])
}

// CertsFromPEM parses every certificate in PEM data, in order. Blocks that
// are not certificates are skipped; a certificate that does not parse, or no
// certificate at all, is an error.
func CertsFromPEM(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("tether/transport: certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("tether/transport: no PEM certificate found")
	}
	return certs, nil
}

// PinsFromPEM returns the pin of every certificate in PEM data, in order.
// Blocks that are not certificates are skipped; no certificate at all is an
// error.
func PinsFromPEM(data []byte) ([]string, error) {
	certs, err := CertsFromPEM(data)
	if err != nil {
		return nil, err
	}
	pins := make([]string, len(certs))
	for i, c := range certs {
		pins[i] = SPKIPin(c)
	}
	return pins, nil
}

// PinsFromFile is PinsFromPEM on a file's contents.
func PinsFromFile(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pins, err := PinsFromPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pins, nil
}

// pinEntry is a parsed Pin.
type pinEntry struct {
	pattern string // lower case, no trailing dot
	hash    [sha256.Size]byte
	text    string
}

// pinSet is the parsed Config.Pins.
type pinSet []pinEntry

func parsePins(pins []Pin) (pinSet, error) {
	set := make(pinSet, 0, len(pins))
	for i, p := range pins {
		field := fmt.Sprintf("Pins[%d]", i)
		rest, ok := strings.CutPrefix(p.Hash, "sha256/")
		if !ok {
			return nil, &ConfigError{Field: field, Value: p.Hash, Err: errors.New(`a pin is "sha256/" followed by base64; only sha256 is supported`)}
		}
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil || len(raw) != sha256.Size {
			return nil, &ConfigError{Field: field, Value: p.Hash, Err: errors.New("the part after sha256/ must be the standard base64 of 32 bytes (44 characters)")}
		}
		pattern := strings.TrimSuffix(strings.ToLower(p.Host), ".")
		if err := checkPattern(pattern); err != nil {
			return nil, &ConfigError{Field: field + ".Host", Value: p.Host, Err: err}
		}
		e := pinEntry{pattern: pattern, text: p.Hash}
		copy(e.hash[:], raw)
		set = append(set, e)
	}
	return set, nil
}

func checkPattern(p string) error {
	rest := p
	if r, ok := strings.CutPrefix(p, "**."); ok {
		rest = r
	} else if r, ok := strings.CutPrefix(p, "*."); ok {
		rest = r
	}
	if strings.Contains(rest, "*") {
		return errors.New(`a wildcard is allowed only as a leading "*." or "**."`)
	}
	if rest == "" && p != "" {
		return errors.New("a wildcard needs a domain after it")
	}
	return nil
}

// matches reports whether host (lower case, no trailing dot) matches pattern.
func matchHost(pattern, host string) bool {
	switch {
	case pattern == "":
		return true
	case strings.HasPrefix(pattern, "**."):
		suffix := pattern[2:] // ".example.com"
		return host == suffix[1:] || strings.HasSuffix(host, suffix)
	case strings.HasPrefix(pattern, "*."):
		suffix := pattern[1:]
		label, ok := strings.CutSuffix(host, suffix)
		return ok && label != "" && !strings.Contains(label, ".")
	default:
		return host == pattern
	}
}

// forHost returns the pins that apply to host; nil when none do.
func (s pinSet) forHost(host string) pinSet {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	var out pinSet
	for _, e := range s {
		if matchHost(e.pattern, host) {
			out = append(out, e)
		}
	}
	return out
}

// check passes when any pin matches any certificate of any verified chain.
func (s pinSet) check(host string, chains [][]*x509.Certificate) error {
	for _, chain := range chains {
		for _, c := range chain {
			sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
			for _, e := range s {
				if subtle.ConstantTimeCompare(sum[:], e.hash[:]) == 1 {
					return nil
				}
			}
		}
	}
	pe := &PinError{Host: host}
	seen := map[string]bool{}
	for _, chain := range chains {
		for _, c := range chain {
			if p := SPKIPin(c); !seen[p] {
				seen[p] = true
				pe.Presented = append(pe.Presented, p)
			}
		}
	}
	for _, e := range s {
		pe.Expected = append(pe.Expected, e.text)
	}
	return pe
}
