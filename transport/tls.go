//go:build !js

package transport

import (
	"crypto/tls"
	"sync/atomic"
)

// targetTLS returns the TLS configuration for a connection to host. The pin
// check runs in VerifyConnection, which Go calls after chain verification on
// full and resumed handshakes alike. done, if not nil, is set once the
// handshake's verification has passed (so a later failure is known to come
// after TLS).
func (d *Dialer) targetTLS(host string, nextProtos []string, done *atomic.Bool) *tls.Config {
	pins := d.pins.forHost(host)
	minVersion := d.cfg.MinTLSVersion
	if minVersion == 0 {
		minVersion = tls.VersionTLS12
	}
	return &tls.Config{
		ServerName:         host,
		RootCAs:            d.roots,
		Certificates:       d.cfg.Certificates,
		MinVersion:         minVersion,
		NextProtos:         nextProtos,
		ClientSessionCache: d.sessions,
		InsecureSkipVerify: d.cfg.DangerousInsecureSkipVerify,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(pins) > 0 {
				if err := pins.check(host, cs.VerifiedChains); err != nil {
					return err
				}
			}
			if done != nil {
				done.Store(true)
			}
			return nil
		},
	}
}
