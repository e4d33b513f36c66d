//go:build js

package transport

import (
	"errors"
	"time"
)

// parseHTTPTime parses an HTTP date with parseHTTPDate in the browser build,
// so that time.Parse stays out of the bundle.
func parseHTTPTime(v string) (time.Time, error) {
	if t, ok := parseHTTPDate(v); ok {
		return t, nil
	}
	return time.Time{}, errors.New("not an HTTP date")
}
