//go:build js

package client

// close has nothing to release: the browser owns the connections.
func (r *registeredLinks) close() {}

// origin is empty: the browser sets the Origin header itself.
func (c *Client) origin() string { return "" }
