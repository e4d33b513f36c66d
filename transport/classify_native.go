//go:build !js

package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// classifyPlatform recognises TLS and certificate failures.
func classifyPlatform(err error) (Class, bool) {
	var (
		cve *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		hn  x509.HostnameError
		ci  x509.CertificateInvalidError
		ae  tls.AlertError
		rhe tls.RecordHeaderError
	)
	if errors.As(err, &cve) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) ||
		errors.As(err, &ae) || errors.As(err, &rhe) {
		return ClassTLS, true
	}
	return 0, false
}
