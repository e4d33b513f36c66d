//go:build js

package client

import "github.com/tether-sdk/tether/transport"

// close has nothing to release: the browser owns the connections.
func (r *registeredLinks) close() {}

// origin is empty: the browser sets the Origin header itself.
func (c *Client) origin() string { return "" }

// dialConfig is Options.Dial: the browser owns the sockets.
func dialConfig(o *Options) *transport.Config { return o.Dial }

// connectRTTMeasured is false: a browser attempt reports as its round trip
// an estimate (twice navigator.connection.rtt, transport/browserrtt_js.go),
// not a measurement: noteRTT uses it for that attempt only.
const connectRTTMeasured = false
