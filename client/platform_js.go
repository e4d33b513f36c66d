//go:build js

package client

import (
	"errors"

	"github.com/tether-sdk/tether/transport"
)

func newLinkDialer(rawURL string, o *Options, c *Client) (LinkDialer, error) {
	if o.LinkDialer == nil {
		return nil, errors.New("tether: in the browser, dial through package wasm (it provides the browser's WebSocket, EventSource and fetch)")
	}
	var rules transport.URLRules
	if o.Dial != nil {
		rules = o.Dial.URLRules
	}
	if _, err := transport.ParseTarget(rawURL, rules); err != nil {
		return nil, err
	}
	return o.LinkDialer, nil
}

// origin is empty: the browser sets the Origin header itself.
func (c *Client) origin() string { return "" }
