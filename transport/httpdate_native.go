//go:build !js

package transport

import "time"

// parseHTTPTime parses an HTTP date in the three formats HTTP/1.1 allows,
// as net/http's ParseTime does (without package net/http: the browser build).
func parseHTTPTime(v string) (time.Time, error) {
	var err error
	for _, layout := range []string{"Mon, 02 Jan 2006 15:04:05 GMT", time.RFC850, time.ANSIC} {
		var t time.Time
		if t, err = time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}
