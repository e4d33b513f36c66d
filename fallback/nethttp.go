//go:build !js

package fallback

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/transport"
)

// netHTTP is the native exchanger: every request goes through the
// Dialer's HTTPClient (its proxy, TLS settings and pins).
type netHTTP struct {
	dialer *transport.Dialer
	client *http.Client
}

func newExchanger(d *transport.Dialer) exchanger {
	return &netHTTP{dialer: d, client: d.HTTPClient()}
}

func (x *netHTTP) exchange(ctx context.Context, q *request) (*answer, error) {
	if q.wrote != nil {
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { q.wrote() }})
	}
	var rd io.Reader
	if q.body != nil {
		rd = bytes.NewReader(q.body)
	}
	req, err := http.NewRequestWithContext(ctx, q.method, q.url, rd)
	if err != nil {
		return nil, fmt.Errorf("fallback: %s: %w", q.name, err)
	}
	req.Header = q.header
	resp, err := x.client.Do(req)
	if err != nil {
		if lerr := x.dialer.HTTPError(q.name, err); lerr != err {
			return nil, lerr
		}
		return nil, fmt.Errorf("fallback: %s: %w", q.name, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, x.dialer.StatusError(q.name, resp)
	}
	return &answer{
		status:     resp.StatusCode,
		statusLine: resp.Status,
		header:     resp.Header,
		url:        resp.Request.URL.Redacted(),
		length:     resp.ContentLength,
		body:       resp.Body,
	}, nil
}

// dialSSE is attachSSE with dialOptions.
func dialSSE(ctx context.Context, o *dialOptions, a link.Attach) (link.Link, error) {
	c, err := o.resolve()
	if err != nil {
		return nil, err
	}
	return attachSSE(ctx, c, a)
}

// dialPoll is attachPoll with dialOptions.
func dialPoll(ctx context.Context, o *dialOptions, a link.Attach) (link.Link, error) {
	c, err := o.resolve()
	if err != nil {
		return nil, err
	}
	return attachPoll(ctx, c, a)
}
