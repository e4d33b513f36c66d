//go:build !js

package transport

import "net/http"

// Header is a set of HTTP header fields. Natively it is net/http's Header
// (an alias: http.Header values fit everywhere a Header is asked for); the
// browser build, which keeps net/http out of the bundle, has its own map
// type with the same shape.
type Header = http.Header
