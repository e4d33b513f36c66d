package certs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// A second start reuses the CA in the directory (clients keep trusting
// ca.pem); other hosts get a new leaf from the same CA.
func TestLoadOrSelfSignedReusesTheCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	ca1, _, reused, err := LoadOrSelfSigned(dir)
	if err != nil || reused {
		t.Fatalf("first start: reused %v, %v", reused, err)
	}
	first, _ := os.ReadFile(filepath.Join(dir, CAFile))
	ca2, leaf2, reused, err := LoadOrSelfSigned(dir)
	if err != nil || !reused || !ca2.Cert.Equal(ca1.Cert) {
		t.Fatalf("second start: reused %v, same CA %v, %v", reused, ca2 != nil && ca2.Cert.Equal(ca1.Cert), err)
	}
	if err := leaf2.Cert.VerifyHostname("localhost"); err != nil {
		t.Fatal(err)
	}
	ca3, leaf3, reused, err := LoadOrSelfSigned(dir, "example.test")
	if err != nil || !reused || !ca3.Cert.Equal(ca1.Cert) {
		t.Fatalf("other host: reused %v, %v", reused, err)
	}
	if err := leaf3.Cert.VerifyHostname("example.test"); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, CAFile)); !bytes.Equal(now, first) {
		t.Fatal("ca.pem was rewritten with another CA")
	}
	// Without the CA's key and with a leaf for other hosts, a new CA.
	os.Remove(filepath.Join(dir, CAKeyFile))
	ca4, _, reused, err := LoadOrSelfSigned(dir, "other.test")
	if err != nil || reused || ca4.Cert.Equal(ca1.Cert) {
		t.Fatalf("no CA key: reused %v, %v", reused, err)
	}
}
