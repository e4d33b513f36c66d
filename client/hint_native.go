//go:build !js

package client

import (
	"crypto/x509"
	"errors"
)

// hintFor says what to do about err, when that is known.
func hintFor(err error) string {
	var (
		ua x509.UnknownAuthorityError
		hn x509.HostnameError
	)
	switch {
	case errors.As(err, &ua):
		return hintTrustCA
	case errors.As(err, &hn):
		return hintHostname
	}
	return ""
}
