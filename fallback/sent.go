package fallback

import "github.com/tether-sdk/tether/internal/link"

// sentOnce is the call of a.Sent (link.Attach.Sent) once the attach's
// request is written, at most once. The link does not see the request's
// connection (the HTTP client may reuse one): it passes rtt 0, "not
// measured here", and the client takes the dialer's last measured round trip.
func sentOnce(a link.Attach) func() {
	if a.Sent == nil {
		return func() {}
	}
	done := false
	return func() {
		if !done {
			done = true
			a.Sent(0)
		}
	}
}
