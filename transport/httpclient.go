//go:build !js

package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"
)

// HTTPClient returns the *http.Client the fallback transports use: the same
// proxy (always through CONNECT, also for http:// targets, so a proxy never
// sees request contents), the same TLS settings and pins as DialWebSocket.
// It speaks HTTP/1.1. It has no overall timeout (long-polls and streams are
// long): bound each request with its context. The same client is returned
// on every call.
func (d *Dialer) HTTPClient() *http.Client {
	d.httpOnce.Do(func() {
		tr := &http.Transport{
			Proxy: nil,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return d.dialVia(ctx, "http", addr)
			},
			DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				raw, err := d.dialVia(ctx, "https", addr)
				if err != nil {
					return nil, err
				}
				host, _, err := net.SplitHostPort(addr)
				if err != nil {
					raw.Close()
					return nil, err
				}
				tc := tls.Client(raw, d.targetTLS(host, []string{"http/1.1"}, nil))
				if err := tc.HandshakeContext(ctx); err != nil {
					raw.Close()
					return nil, fmt.Errorf("tether/transport: TLS with %s: %w", addr, err)
				}
				return tc, nil
			},
			TLSHandshakeTimeout:   d.dialTimeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
			DisableCompression:    true, // compressed event streams get buffered
		}
		d.httpClient = &http.Client{
			Transport: tr,
			// Redirects would leave the URL rules and pins behind: refuse them.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	})
	return d.httpClient
}
