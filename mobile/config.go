package mobile

import (
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/transport"
)

// Config holds a Client's settings. Create it with NewConfig, call the
// setters (from any thread), and pass it to NewClient, which copies it:
// later changes do not affect clients already made. A nil *Config means all
// defaults. Every setter documents what the default is; setters that check
// their value return an error (a Java exception, an NSError) saying what is
// wrong.
type Config struct {
	mu        sync.Mutex
	o         client.Options
	header    http.Header
	caPEM     [][]byte
	pins      []transport.Pin
	proxyURL  string
	plaintext bool
}

// NewConfig returns a Config with every setting at its default.
func NewConfig() *Config { return &Config{} }

// SetTransports sets the transports to try, in order, as a comma-separated
// list of "websocket", "sse" and "longpoll". Default (or ""): all three, in
// that order.
func (c *Config) SetTransports(list string) (err error) {
	defer guard(&err)
	var trs []string
	if strings.TrimSpace(list) != "" {
		for _, t := range strings.Split(list, ",") {
			trs = append(trs, strings.TrimSpace(t))
		}
	}
	known := []string{client.TransportWebSocket, client.TransportSSE, client.TransportLongPoll}
	for i, t := range trs {
		if !slices.Contains(known, t) || slices.Index(trs, t) != i {
			return fmt.Errorf("tether/mobile: bad transport list %q: list websocket, sse and longpoll, each at most once, comma-separated", list)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.o.Transports = trs
	return nil
}

// AddHeader adds a header sent with every connect (the WebSocket upgrade
// and every HTTP request of SSE and long-polling), never to a proxy: a
// token, a cookie. Default: none.
func (c *Config) AddHeader(name, value string) (err error) {
	defer guard(&err)
	if name == "" || strings.ContainsAny(name, " :\r\n") || strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("tether/mobile: bad header %q: a name is a token without spaces or colons, and neither may hold a line break", name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.header == nil {
		c.header = http.Header{}
	}
	c.header.Add(name, value)
	return nil
}

// AddCAPEM trusts the CA certificates in pem (PEM, one or more) in addition
// to the system's: a company CA, a test CA. Default: the system's only.
func (c *Config) AddCAPEM(pem []byte) (err error) {
	defer guard(&err)
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		return errors.New("tether/mobile: AddCAPEM: no PEM certificate in the data (expected -----BEGIN CERTIFICATE-----)")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.caPEM = append(c.caPEM, append([]byte(nil), pem...))
	return nil
}

// AddPin pins the server's certificate chain: hash is "sha256/" and the
// base64 SHA-256 of a certificate's public key (what `tether pin HOST:PORT`
// prints); host is a host pattern ("api.example.com", "*.example.com",
// "**.example.com"), or "" for every host. A connection is accepted when
// one pin of its host matches a certificate of the verified chain. Default:
// no pinning.
func (c *Config) AddPin(host, hash string) (err error) {
	defer guard(&err)
	p := transport.Pin{Host: host, Hash: hash}
	if _, err := transport.New("wss://pin.check.invalid/", &transport.Config{Pins: []transport.Pin{p}, Proxy: transport.NoProxy}); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pins = append(c.pins, p)
	return nil
}

// SetProxyURL sends every connection through the proxy at url (http:// or
// https://, credentials as user:password@ for Basic auth). Android and iOS
// do not hand apps HTTPS_PROXY: read the system's proxy setting (Android
// ConnectivityManager.getDefaultProxy, iOS CFNetworkCopySystemProxySettings)
// and pass it here. Default (or ""): no proxy.
func (c *Config) SetProxyURL(url string) (err error) {
	defer guard(&err)
	if url != "" {
		if _, err := transport.FixedProxy(url); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.proxyURL = url
	return nil
}

// SetConnectTimeoutMs bounds each transport's attempt of a connect, in
// milliseconds. Default (or 0): 15000.
func (c *Config) SetConnectTimeoutMs(ms int64) error {
	return c.setMs(&c.o.ConnectTimeout, "ConnectTimeoutMs", ms)
}

// SetInitialBackoffMs sets the first reconnect delay (exponential, full
// jitter), in milliseconds. Default (or 0): 500.
func (c *Config) SetInitialBackoffMs(ms int64) error {
	return c.setMs(&c.o.InitialBackoff, "InitialBackoffMs", ms)
}

// SetMaxBackoffMs sets the longest reconnect delay, in milliseconds.
// Default (or 0): 30000.
func (c *Config) SetMaxBackoffMs(ms int64) error { return c.setMs(&c.o.MaxBackoff, "MaxBackoffMs", ms) }

// SetMaxAttempts bounds the reconnect attempts after a loss; then the
// client closes. Default (or 0): forever.
func (c *Config) SetMaxAttempts(n int) error { return c.setInt(&c.o.MaxAttempts, "MaxAttempts", n) }

// SetMaxQueuedBytes bounds the messages sent and not yet acknowledged
// (those sent while disconnected or paused included); Send fails with a
// queue-full error beyond it. Default (or 0): 4 MiB.
func (c *Config) SetMaxQueuedBytes(n int) error {
	return c.setInt(&c.o.MaxQueuedBytes, "MaxQueuedBytes", n)
}

// SetMaxMessageBytes sets the largest message sent or received.
// Default (or 0): 1 MiB.
func (c *Config) SetMaxMessageBytes(n int) error {
	return c.setInt(&c.o.MaxMessageBytes, "MaxMessageBytes", n)
}

// SetRetryOnFailedConnect makes Connect return even when the first connect
// failed for a reason that may heal (the network, the server): the client
// keeps trying in the background, and Send queues meanwhile. Default:
// false, Connect returns the error.
func (c *Config) SetRetryOnFailedConnect(on bool) {
	defer swallow(nil)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.o.RetryOnFailedConnect = on
}

// SetEnableCompression offers permessage-deflate on WebSocket. Default:
// false.
func (c *Config) SetEnableCompression(on bool) {
	defer swallow(nil)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.o.EnableCompression = on
}

// SetInsecureAllowPlaintext allows ws:// and http:// URLs to hosts that are
// not loopback (anyone on the path can read and change the traffic).
// Default: false, such URLs are refused.
func (c *Config) SetInsecureAllowPlaintext(on bool) {
	defer swallow(nil)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.plaintext = on
}

func (c *Config) setMs(d *time.Duration, name string, ms int64) (err error) {
	defer guard(&err)
	if ms < 0 || ms > int64(math.MaxInt64/time.Millisecond) {
		return fmt.Errorf("tether/mobile: bad %s %d: milliseconds, 0 for the default", name, ms)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	*d = time.Duration(ms) * time.Millisecond
	return nil
}

func (c *Config) setInt(p *int, name string, n int) (err error) {
	defer guard(&err)
	if n < 0 {
		return fmt.Errorf("tether/mobile: bad %s %d: 0 for the default, or a positive number", name, n)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	*p = n
	return nil
}

// options builds the client's Options (a copy).
func (c *Config) options() (client.Options, error) {
	if c == nil {
		c = NewConfig()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.o
	o.Transports = append([]string(nil), c.o.Transports...)
	if len(o.Transports) == 0 {
		o.Transports = nil
	}
	o.Header = c.header.Clone()
	d := &transport.Config{Proxy: transport.NoProxy}
	d.InsecureAllowPlaintext = c.plaintext
	d.CAPEM = append([][]byte(nil), c.caPEM...)
	d.Pins = append([]transport.Pin(nil), c.pins...)
	if c.proxyURL != "" {
		p, err := transport.FixedProxy(c.proxyURL)
		if err != nil {
			return o, err
		}
		d.Proxy = p
	}
	o.Dial = d
	return o, nil
}
