package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

func mustCA(t *testing.T, name string) *CA {
	t.Helper()
	ca, err := NewCA(name)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func mustIssue(t *testing.T, ca *CA, hosts ...string) *Leaf {
	t.Helper()
	l, err := ca.Issue(hosts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestNewCAProperties(t *testing.T) {
	ca := mustCA(t, "test root")
	c := ca.Cert
	if !c.IsCA || !c.BasicConstraintsValid {
		t.Fatalf("IsCA=%v BasicConstraintsValid=%v", c.IsCA, c.BasicConstraintsValid)
	}
	if c.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Fatalf("KeyUsage %v lacks CertSign", c.KeyUsage)
	}
	if c.Subject.CommonName != "test root" {
		t.Fatalf("CN = %q", c.Subject.CommonName)
	}
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("public key %T is not P-256", c.PublicKey)
	}
	now := time.Now()
	if !c.NotBefore.Before(now.Add(-30*time.Minute)) || c.NotAfter.After(now.Add(10*366*24*time.Hour)) || c.NotAfter.Before(now.Add(365*24*time.Hour)) {
		t.Fatalf("validity %v .. %v", c.NotBefore, c.NotAfter)
	}
	// Basic constraints must be critical (OID 2.5.29.19).
	var found bool
	for _, ext := range c.Extensions {
		if ext.Id.Equal([]int{2, 5, 29, 19}) {
			found = true
			if !ext.Critical {
				t.Fatal("basic constraints not critical")
			}
		}
	}
	if !found {
		t.Fatal("no basic constraints extension")
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Fatalf("root not self-signed: %v", err)
	}
}

func TestIssueSANsAndUsage(t *testing.T) {
	ca := mustCA(t, "root")
	l := mustIssue(t, ca, "localhost", "127.0.0.1", "::1", "example.test", "[::2]")
	if got, want := l.Cert.DNSNames, []string{"localhost", "example.test"}; !slices.Equal(got, want) {
		t.Fatalf("DNSNames = %v, want %v", got, want)
	}
	var ips []string
	for _, ip := range l.Cert.IPAddresses {
		ips = append(ips, ip.String())
	}
	if want := []string{"127.0.0.1", "::1", "::2"}; !slices.Equal(ips, want) {
		t.Fatalf("IPAddresses = %v, want %v", ips, want)
	}
	if l.Cert.IsCA {
		t.Fatal("leaf is a CA")
	}
	if !slices.Contains(l.Cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth) || !slices.Contains(l.Cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		t.Fatalf("ExtKeyUsage = %v", l.Cert.ExtKeyUsage)
	}
	for _, host := range []string{"localhost", "127.0.0.1", "::1", "example.test"} {
		if err := l.Cert.VerifyHostname(host); err != nil {
			t.Errorf("VerifyHostname(%q): %v", host, err)
		}
	}
	if err := l.Cert.VerifyHostname("other.test"); err == nil {
		t.Error("VerifyHostname(other.test) succeeded")
	}
	if l.Cert.NotAfter.After(ca.Cert.NotAfter) {
		t.Error("leaf outlives its CA")
	}
}

func TestVerifyDirect(t *testing.T) {
	ca := mustCA(t, "root")
	l := mustIssue(t, ca, "localhost")
	if _, err := l.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "localhost"}); err != nil {
		t.Fatal(err)
	}
	if len(l.Intermediates()) != 0 {
		t.Fatal("directly issued leaf has intermediates")
	}
	// Another root must not verify it.
	other := mustCA(t, "other")
	if _, err := l.Cert.Verify(x509.VerifyOptions{Roots: other.Pool()}); err == nil {
		t.Fatal("verified against unrelated root")
	}
}

func TestVerifyIntermediateChain(t *testing.T) {
	root := mustCA(t, "root")
	mid, err := root.NewIntermediate("mid")
	if err != nil {
		t.Fatal(err)
	}
	if !mid.Cert.IsCA || mid.Cert.CheckSignatureFrom(root.Cert) != nil {
		t.Fatal("intermediate not a CA signed by root")
	}
	if mid.Root() != root {
		t.Fatal("Root() of intermediate is not root")
	}
	mid2, err := mid.NewIntermediate("mid2")
	if err != nil {
		t.Fatal(err)
	}
	l := mustIssue(t, mid2, "svc.test")

	// Without intermediates, the root alone cannot verify.
	if _, err := l.Cert.Verify(x509.VerifyOptions{Roots: root.Pool()}); err == nil {
		t.Fatal("verified without intermediates")
	}
	inter := x509.NewCertPool()
	for _, c := range l.Intermediates() {
		inter.AddCert(c)
	}
	chains, err := l.Cert.Verify(x509.VerifyOptions{Roots: root.Pool(), Intermediates: inter, DNSName: "svc.test"})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(chains[0]); got != 4 {
		t.Fatalf("chain length %d, want 4", got)
	}

	// CertPEM is leaf, mid2, mid (no root); TLSCertificate matches.
	var ders [][]byte
	rest := l.CertPEM()
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		ders = append(ders, b.Bytes)
	}
	want := [][]byte{l.Cert.Raw, mid2.Cert.Raw, mid.Cert.Raw}
	if !slices.EqualFunc(ders, want, slices.Equal) {
		t.Fatalf("CertPEM has %d blocks in wrong order", len(ders))
	}
	tc := l.TLSCertificate()
	if !slices.EqualFunc(tc.Certificate, want, slices.Equal) || tc.Leaf != l.Cert {
		t.Fatal("TLSCertificate chain mismatch")
	}
}

func TestPEMRoundTrip(t *testing.T) {
	ca := mustCA(t, "root")
	mid, err := ca.NewIntermediate("mid")
	if err != nil {
		t.Fatal(err)
	}
	l := mustIssue(t, mid, "localhost")
	pair, err := tls.X509KeyPair(l.CertPEM(), l.KeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	if len(pair.Certificate) != 2 {
		t.Fatalf("pair chain length %d", len(pair.Certificate))
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(ca.CertPEM()) {
		t.Fatal("CA PEM not parseable")
	}
	if b, _ := pem.Decode(l.KeyPEM()); b == nil || b.Type != "PRIVATE KEY" {
		t.Fatal("key PEM block type")
	}
}

// TestTLSServerClientTrustsOnlyCA runs a TLS server presenting an
// intermediate-issued leaf and a client trusting only the root pool.
func TestTLSServerClientTrustsOnlyCA(t *testing.T) {
	root := mustCA(t, "root")
	mid, err := root.NewIntermediate("mid")
	if err != nil {
		t.Fatal(err)
	}
	l := mustIssue(t, mid, "localhost", "127.0.0.1")

	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{l.TLSCertificate()}}
	srv.StartTLS()
	defer srv.Close()

	get := func(pool *x509.CertPool) (string, error) {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	body, err := get(root.Pool())
	if err != nil || body != "hello" {
		t.Fatalf("get = %q, %v", body, err)
	}
	if _, err := get(mustCA(t, "other").Pool()); err == nil {
		t.Fatal("client trusting another CA connected")
	}
}

// TestMutualTLS checks the leaf works as a client certificate too.
func TestMutualTLS(t *testing.T) {
	ca := mustCA(t, "root")
	srvLeaf := mustIssue(t, ca, "127.0.0.1")
	cliLeaf := mustIssue(t, ca, "client")
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{srvLeaf.TLSCertificate()},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.Pool(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		err = c.(*tls.Conn).Handshake()
		if err == nil {
			_, err = c.Write([]byte("k"))
		}
		done <- err
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{
		RootCAs:      ca.Pool(),
		Certificates: []tls.Certificate{cliLeaf.TLSCertificate()},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 1)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestSelfSignedWritesFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	ca, leaf, err := SelfSigned(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range DefaultHosts {
		if err := leaf.Cert.VerifyHostname(h); err != nil {
			t.Errorf("default host %q: %v", h, err)
		}
	}
	if runtime.GOOS != "windows" {
		for name, want := range map[string]os.FileMode{CAFile: 0o644, CertFile: 0o644, KeyFile: 0o600} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s mode %o, want %o", name, got, want)
			}
		}
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, CAFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("bad ca.pem")
	}
	if !pool.Equal(ca.Pool()) {
		t.Fatal("ca.pem is not the returned CA")
	}
	lc, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lc.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		t.Fatal(err)
	}
	// No temporary files left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 3 {
		t.Fatalf("dir has %d entries, want 3", len(ents))
	}
}

func TestWriteFilesIntermediateAndOverwrite(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, KeyFile)
	if err := os.WriteFile(key, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := mustCA(t, "root")
	mid, err := root.NewIntermediate("mid")
	if err != nil {
		t.Fatal(err)
	}
	leaf := mustIssue(t, mid, "example.test")
	if err := WriteFiles(dir, mid, leaf); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(key); fi.Mode().Perm() != 0o600 {
			t.Fatalf("overwritten key mode %o", fi.Mode().Perm())
		}
	}
	caPEM, _ := os.ReadFile(filepath.Join(dir, CAFile))
	if b, _ := pem.Decode(caPEM); b == nil || !slices.Equal(b.Bytes, root.Cert.Raw) {
		t.Fatal("ca.pem is not the root")
	}
	if _, err := tls.LoadX509KeyPair(filepath.Join(dir, CertFile), key); err != nil {
		t.Fatal(err)
	}
	if err := WriteFiles(dir, nil, leaf); err == nil {
		t.Fatal("WriteFiles(nil CA) succeeded")
	}
}

func TestSelfSignedCustomHosts(t *testing.T) {
	_, leaf, err := SelfSigned(t.TempDir(), "tether.test", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(leaf.Cert.DNSNames, []string{"tether.test"}) || len(leaf.Cert.IPAddresses) != 1 || !leaf.Cert.IPAddresses[0].Equal(net.ParseIP("10.0.0.1")) {
		t.Fatalf("SANs %v %v", leaf.Cert.DNSNames, leaf.Cert.IPAddresses)
	}
}
