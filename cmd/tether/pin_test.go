package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tether-sdk/tether/internal/certs"
	"github.com/tether-sdk/tether/internal/hostile"
)

// opensslPin computes a certificate's pin the way the OkHttp and HPKP
// documentation does, with openssl:
//
//	openssl x509 -pubkey -noout -in c.pem | openssl pkey -pubin -outform der |
//	openssl dgst -sha256 -binary | base64
//
// openssl is a requirement of this test: without it the test fails.
func opensslPin(t *testing.T, certFile string) string {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatalf("openssl is needed to check pins independently: %v", err)
	}
	run := func(stdin []byte, args ...string) []byte {
		cmd := exec.Command("openssl", args...)
		if stdin != nil {
			cmd.Stdin = strings.NewReader(string(stdin))
		}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("openssl %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	pub := run(nil, "x509", "-pubkey", "-noout", "-in", certFile)
	der := run(pub, "pkey", "-pubin", "-outform", "der")
	sum := run(der, "dgst", "-sha256", "-binary")
	b64 := run(sum, "base64")
	return "sha256/" + strings.TrimSpace(string(b64))
}

// pin FILE prints one line per certificate, in the file's order, each equal
// to openssl's computation.
func TestPinFileMatchesOpenSSL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	root, err := certs.NewCA("pin test root")
	if err != nil {
		t.Fatal(err)
	}
	mid, err := root.NewIntermediate("pin test intermediate")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := mid.Issue("pin.example")
	if err != nil {
		t.Fatal(err)
	}
	// chain.pem: leaf then intermediate (what a server presents), with the
	// key in between to show non-certificate blocks are skipped.
	chainPEM := append(append([]byte{}, leaf.CertPEM()...), leaf.KeyPEM()...)
	files := map[string][]byte{
		"chain.pem": chainPEM,
		"root.pem":  root.CertPEM(),
		"mid.pem":   mid.CertPEM(),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	leafOnly := filepath.Join(dir, "leaf.pem")
	if err := os.WriteFile(leafOnly, leaf.CertPEM()[:len(leaf.CertPEM())-len(mid.CertPEM())], 0o600); err != nil {
		t.Fatal(err)
	}

	r := tether(t, runTimeout, "", "pin", filepath.Join(dir, "chain.pem"))
	want := opensslPin(t, leafOnly) + "\n" + opensslPin(t, filepath.Join(dir, "mid.pem")) + "\n"
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Fatalf("pin chain.pem: want openssl's pins, leaf first:\n%s\n%s", want, r)
	}
	r = tether(t, runTimeout, "", "pin", filepath.Join(dir, "root.pem"))
	if want := opensslPin(t, filepath.Join(dir, "root.pem")) + "\n"; r.code != 0 || r.stdout != want {
		t.Fatalf("pin root.pem: want %s\n%s", want, r)
	}
}

// pin HOST:PORT prints the pins of the chain the server presents, leaf
// first, with --cacert as the trust; --proxy applies.
func TestPinHostPort(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	want := opensslPin(t, filepath.Join(s.dir, "cert.pem"))
	r := tether(t, runTimeout, "", "pin", "--cacert", s.ca(), s.addr)
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if r.code != 0 || lines[0] != want {
		t.Fatalf("the first line should be the served leaf's pin %s\n%s", want, r)
	}
	// The same through a CONNECT proxy, and given as a URL.
	p, err := hostile.NewForwardProxy(hostile.ProxyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r = tether(t, runTimeout, "", "pin", "--proxy", p.URL(), "--cacert", s.ca(), s.url)
	if r.code != 0 || strings.SplitN(r.stdout, "\n", 2)[0] != want {
		t.Fatalf("through the proxy: want %s first\n%s", want, r)
	}
	if target, _ := p.LastConnect(); target != s.addr {
		t.Errorf("the proxy was asked for %q, want %q", target, s.addr)
	}
}
