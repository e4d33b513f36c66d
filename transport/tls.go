//go:build !js

package transport

import (
	"context"
	"crypto/tls"
	"net"
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

// clientTLS runs a TLS client handshake with cfg over raw and returns the
// connection. Through a proxy (raw came from dialTunnel), the client's last
// handshake flight is sent with the first application write (see
// flightConn). On failure raw is not closed: that is the caller's job.
func clientTLS(ctx context.Context, raw net.Conn, cfg *tls.Config) (*tls.Conn, error) {
	if _, ok := raw.(tunnel); !ok {
		tc := tls.Client(raw, cfg)
		return tc, tc.HandshakeContext(ctx)
	}
	fc := newFlightConn(raw)
	cfg = cfg.Clone()
	verify := cfg.VerifyConnection
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if verify != nil {
			if err := verify(cs); err != nil {
				return err
			}
		}
		fc.hold()
		return nil
	}
	tc := tls.Client(fc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return tc, err
	}
	fc.handshaken()
	return tc, nil
}
