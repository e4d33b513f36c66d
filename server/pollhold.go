package server

import (
	"errors"
	"net/url"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// pollHold returns how long a poll with the query q is held at the most:
// its tether_hold (milliseconds, PROTOCOL.md 9.3) capped at max
// (Options.PollHold), or max when the poll has none. A malformed value is
// an error (bad_request): a server never guesses.
func pollHold(q url.Values, max time.Duration) (time.Duration, error) {
	if !q.Has(wire.ParamHold) {
		return max, nil
	}
	ms, err := parseNumber(q.Get(wire.ParamHold))
	if err != nil {
		return 0, errors.New(wire.ParamHold + " " + err.Error())
	}
	if ms >= uint64(max.Milliseconds()) {
		return max, nil
	}
	return time.Duration(ms) * time.Millisecond, nil
}
