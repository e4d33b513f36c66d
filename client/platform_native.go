//go:build !js

package client

// close lets the HTTP links' idle connections go.
func (r *registeredLinks) close() { r.d.HTTPClient().CloseIdleConnections() }

// origin is the page origin from the URL rules, sent as the Origin header.
func (c *Client) origin() string {
	if c.o.Dial == nil {
		return ""
	}
	return c.o.Dial.Origin
}
