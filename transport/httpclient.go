//go:build !js

package transport

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// HTTPClient returns the *http.Client the fallback transports use: the same
// proxy (always through CONNECT, also for http:// targets, so a proxy never
// sees request contents), the same TLS settings and pins as dialWebSocket.
// It speaks HTTP/1.1. It has no overall timeout (long-polls and streams are
// long): bound each request with its context. It reads at most
// MaxResponseHeader bytes of an answer's status line and headers (see
// HTTPError); bounding the bodies is the caller's job. A refused upgrade's
// connection carries its first request when it can (spare.go). The same
// client is returned on every call; its Transport has a method
// HTTPTransport() *http.Transport giving the *http.Transport below.
func (d *Dialer) HTTPClient() *http.Client {
	d.httpOnce.Do(func() {
		tr := &http.Transport{
			Proxy: nil,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if c := d.takeSpare("http", addr); c != nil {
					return c, nil
				}
				t0 := time.Now()
				c, err := d.dialVia(ctx, "http", addr)
				if err == nil {
					d.noteRTT(time.Since(t0))
				}
				return c, err
			},
			DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if c := d.takeSpare("https", addr); c != nil {
					return c, nil // its handshake checked the same pins
				}
				t0 := time.Now()
				raw, err := d.dialVia(ctx, "https", addr)
				if err != nil {
					return nil, err
				}
				t1 := time.Now()
				host, _, err := net.SplitHostPort(addr)
				if err != nil {
					raw.Close()
					return nil, err
				}
				tc, err := clientTLS(ctx, raw, d.targetTLS(host, []string{"http/1.1"}, nil))
				if err != nil {
					raw.Close()
					return nil, fmt.Errorf("tether/transport: TLS with %s: %w", addr, err)
				}
				d.noteRTT(t1.Sub(t0), time.Since(t1))
				return tc, nil
			},
			TLSHandshakeTimeout:    d.dialTimeout,
			MaxIdleConnsPerHost:    4,
			IdleConnTimeout:        90 * time.Second,
			ExpectContinueTimeout:  time.Second,
			DisableCompression:     true, // compressed event streams get buffered
			MaxResponseHeaderBytes: MaxResponseHeader,
		}
		d.httpClient = &http.Client{
			Transport: &spareRetry{Transport: tr, d: d},
			// Redirects would leave the URL rules and pins behind: refuse them.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	})
	return d.httpClient
}

// headerLimitText is how net/http says that an answer's header exceeded
// Transport.MaxResponseHeaderBytes; it has no error type for it.
// TestHTTPErrorHeaderLimit checks that the text still matches.
const headerLimitText = "server response headers exceeded"

// HTTPError returns err, an error of a request made with HTTPClient, as the
// transport's errors have it: an answer whose status line and headers
// exceeded MaxResponseHeader becomes a *LimitError (wrapping err); other
// errors are returned as they are. transport names the fallback transport
// ("sse" or "longpoll").
func (d *Dialer) HTTPError(transport string, err error) error {
	if err == nil || !strings.Contains(err.Error(), headerLimitText) {
		return err
	}
	return &LimitError{
		Transport: transport,
		What:      "the header of the server's answer (status line and headers)",
		Limit:     MaxResponseHeader,
		Err:       err,
	}
}
