package transport

import (
	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/urlx"
	"github.com/tether-sdk/tether/internal/wire"
)

// attemptURL is u with the attempt id of a new-session attach added
// (tether_attempt, PROTOCOL.md 4.8), so that the client can cancel the
// session if it gives the attempt up before its welcome; u as it is for a
// resume or an attach without an id.
func attemptURL(u *targetURL, a link.Attach) string {
	if a.SID != "" || a.Attempt == "" {
		return u.String()
	}
	v := *u
	v.RawQuery = AppendQuery(v.RawQuery, wire.ParamAttempt, urlx.QueryEscape(a.Attempt))
	return v.String()
}

// AppendQuery adds name=value (both already escaped) to a raw query. It
// does not parse the query: url.Values would bring fmt into the browser
// bundle (url.ParseQuery's errors).
func AppendQuery(rawQuery, name, value string) string {
	if rawQuery != "" {
		rawQuery += "&"
	}
	return rawQuery + name + "=" + value
}
