//go:build !js

package transport

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/tether-sdk/tether/internal/certs"
)

func TestMatchHost(t *testing.T) {
	tests := []struct {
		pattern, host string
		want          bool
	}{
		{"example.com", "example.com", true},
		{"example.com", "www.example.com", false},
		{"*.example.com", "www.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "a.b.example.com", false},
		{"**.example.com", "example.com", true},
		{"**.example.com", "www.example.com", true},
		{"**.example.com", "a.b.example.com", true},
		{"**.example.com", "badexample.com", false},
		{"*.example.com", "badexample.com", false},
		{"", "anything.test", true},
		{"127.0.0.1", "127.0.0.1", true},
	}
	for _, tt := range tests {
		if got := matchHost(tt.pattern, tt.host); got != tt.want {
			t.Errorf("matchHost(%q, %q) = %v, want %v", tt.pattern, tt.host, got, tt.want)
		}
	}
}

func TestParsePinsErrors(t *testing.T) {
	good := "sha256/" + base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, p := range []Pin{
		{Hash: "sha1/AAAA"},
		{Hash: "sha256/not base64!"},
		{Hash: "sha256/" + base64.StdEncoding.EncodeToString(make([]byte, 20))},
		{Hash: "AAAA"},
		{Host: "a.*.example.com", Hash: good},
		{Host: "*.", Hash: good},
	} {
		_, err := parsePins([]Pin{{Hash: good}, p})
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field[:7] != "Pins[1]" {
			t.Errorf("parsePins(%+v): got %v, want a ConfigError for Pins[1]", p, err)
		}
	}
	if _, err := parsePins([]Pin{{Host: "**.Example.COM.", Hash: good}}); err != nil {
		t.Fatal(err)
	}
}

func TestPinsFromPEMMatchesChain(t *testing.T) {
	root, err := certs.NewCA("root")
	if err != nil {
		t.Fatal(err)
	}
	inter, err := root.NewIntermediate("inter")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := inter.Issue("localhost")
	if err != nil {
		t.Fatal(err)
	}
	pins, err := PinsFromPEM(leaf.CertPEM())
	if err != nil {
		t.Fatal(err)
	}
	if len(pins) != 2 {
		t.Fatalf("got %d pins for leaf+intermediate, want 2", len(pins))
	}
	sum := sha256.Sum256(leaf.Cert.RawSubjectPublicKeyInfo)
	if pins[0] != "sha256/"+base64.StdEncoding.EncodeToString(sum[:]) || pins[0] != SPKIPin(leaf.Cert) {
		t.Fatalf("leaf pin %s is not the SPKI hash", pins[0])
	}
	if pins[1] != SPKIPin(inter.Cert) {
		t.Fatalf("second pin is not the intermediate's")
	}
	if _, err := PinsFromPEM([]byte("garbage")); err == nil {
		t.Fatal("garbage PEM: want an error")
	}
	if _, err := PinsFromFile("/nonexistent/ca.pem"); err == nil {
		t.Fatal("missing file: want an error")
	}
}

// CertsFromPEM skips blocks that are not certificates and names the
// certificate that does not parse.
func TestCertsFromPEM(t *testing.T) {
	ca, err := certs.NewCA("root")
	if err != nil {
		t.Fatal(err)
	}
	key := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})
	got, err := CertsFromPEM(append(key, ca.CertPEM()...))
	if err != nil || len(got) != 1 || !got[0].Equal(ca.Cert) {
		t.Fatalf("got %d certificates, %v; want the CA's alone", len(got), err)
	}
	bad := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}})
	if _, err := CertsFromPEM(append(ca.CertPEM(), bad...)); err == nil || !strings.Contains(err.Error(), "certificate 2") {
		t.Fatalf("a certificate that does not parse: err = %v, want one naming certificate 2", err)
	}
	if _, err := CertsFromPEM(key); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("no certificate: err = %v", err)
	}
}
