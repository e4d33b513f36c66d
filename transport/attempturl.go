package transport

import (
	"net/url"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// attemptURL is u with the attempt id of a new-session attach added
// (tether_attempt, PROTOCOL.md 4.8), so that the client can cancel the
// session if it gives the attempt up before its welcome; u as it is for a
// resume or an attach without an id.
func attemptURL(u *url.URL, a link.Attach) string {
	if a.SID != "" || a.Attempt == "" {
		return u.String()
	}
	v := *u
	q := v.Query()
	q.Set(wire.ParamAttempt, a.Attempt)
	v.RawQuery = q.Encode()
	return v.String()
}
