//go:build !js

package fallback

import (
	"fmt"
	"net"
)

// errClosed is what calls on a closed link return: an error matching
// net.ErrClosed (package net stays out of the browser build, whose links
// return link.ErrClosed: errors_js.go).
func errClosed(transportName string) error {
	return fmt.Errorf("fallback: %s link closed: %w", transportName, net.ErrClosed)
}
