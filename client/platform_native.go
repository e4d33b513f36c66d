//go:build !js

package client

import "github.com/tether-sdk/tether/transport"

// close lets the HTTP links' idle connections go.
func (r *registeredLinks) close() { r.d.HTTPClient().CloseIdleConnections() }

// origin is the page origin from the URL rules, sent as the Origin header.
func (c *Client) origin() string {
	if c.o.Dial == nil {
		return ""
	}
	return c.o.Dial.Origin
}

// dialConfig is Options.Dial as the dialing layer gets it: a
// TCP_USER_TIMEOUT left at zero is derived from AckTimeout (five times
// it, at least transport.DefaultUserTimeout), so that the kernel, the
// backstop, never drops a connection before the client's own bound on a
// late answer has moved the session. The caller's Config is not changed.
func dialConfig(o *Options) *transport.Config {
	if o.AckTimeout <= 0 || (o.Dial != nil && o.Dial.UserTimeout != 0) {
		return o.Dial
	}
	ut := max(transport.DefaultUserTimeout, userTimeoutAcks*o.AckTimeout)
	if ut == transport.DefaultUserTimeout {
		return o.Dial
	}
	var c transport.Config
	if o.Dial != nil {
		c = *o.Dial
	}
	c.UserTimeout = ut
	return &c
}

// userTimeoutAcks is how many AckTimeouts TCP_USER_TIMEOUT is by default.
const userTimeoutAcks = 5

// connectRTTMeasured is true: an attempt reports the round trip its TCP (and
// TLS) handshake measured, which noteRTT remembers.
const connectRTTMeasured = true
