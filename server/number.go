package server

import (
	"errors"
	"net/url"
	"strconv"

	"github.com/tether-sdk/tether/internal/wire"
)

// parseAck reads the required tether_ack parameter (PROTOCOL.md 3).
func parseAck(q url.Values) (uint64, error) {
	if !q.Has(wire.ParamAck) {
		return 0, errors.New("tether_ack is missing: it is required with tether_sid on sse and poll-open, and on poll")
	}
	n, err := parseNumber(q.Get(wire.ParamAck))
	if err != nil {
		return 0, errors.New(wire.ParamAck + " " + err.Error())
	}
	return n, nil
}

// parseNumber parses the strict decimal form of PROTOCOL.md 6.1: digits
// only, no sign, no leading zero (except "0" itself), at most 2^64-1.
func parseNumber(v string) (uint64, error) {
	switch {
	case v == "":
		return 0, errors.New("is empty: expected a decimal number")
	case len(v) > 1 && v[0] == '0':
		return 0, errors.New(strconv.Quote(v) + ": number has a leading zero")
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, errors.New(strconv.Quote(v) + ": not a decimal number (digits only)")
		}
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, errors.New(strconv.Quote(v) + ": number does not fit in 64 bits")
	}
	return n, nil
}
