package certs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File names written by [WriteFiles] and [SelfSigned].
const (
	// CAFile holds the root CA certificate (PEM) that clients should trust.
	CAFile = "ca.pem"
	// CertFile holds the leaf certificate followed by its intermediates (PEM).
	CertFile = "cert.pem"
	// KeyFile holds the leaf's PKCS #8 private key (PEM), mode 0600.
	KeyFile = "key.pem"
)

// DefaultHosts are the names [SelfSigned] certifies when given none.
var DefaultHosts = []string{"localhost", "127.0.0.1", "::1"}

// WriteFiles writes ca.pem (the root of ca's chain), cert.pem (leaf and
// intermediates) and key.pem (leaf key, mode 0600) into dir, creating dir
// (mode 0700) if needed. Existing files are replaced.
func WriteFiles(dir string, ca *CA, leaf *Leaf) error {
	if ca == nil || leaf == nil {
		return errors.New("certs: WriteFiles needs a CA and a leaf")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{CAFile, ca.Root().CertPEM(), 0o644},
		{CertFile, leaf.CertPEM(), 0o644},
		{KeyFile, leaf.KeyPEM(), 0o600},
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

// SelfSigned makes a fresh root CA and a leaf for hosts (default
// [DefaultHosts]) and writes them into dir with [WriteFiles].
func SelfSigned(dir string, hosts ...string) (*CA, *Leaf, error) {
	if len(hosts) == 0 {
		hosts = DefaultHosts
	}
	ca, err := NewCA("Tether self-signed CA")
	if err != nil {
		return nil, nil, err
	}
	leaf, err := ca.Issue(hosts...)
	if err != nil {
		return nil, nil, err
	}
	if err := WriteFiles(dir, ca, leaf); err != nil {
		return nil, nil, err
	}
	return ca, leaf, nil
}

// writeFile writes data to a temporary file in the same directory and
// renames it over path, so the mode is exact (umask and a pre-existing
// file's mode do not apply) and readers never see a partial file.
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("certs: write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("certs: write %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("certs: %w", err)
	}
	return nil
}
