package server

import (
	"net/url"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// TestPollHold: a poll's tether_hold is honoured up to the server's
// PollHold; absent, the poll is held PollHold; malformed, it is refused.
func TestPollHold(t *testing.T) {
	const max = 25 * time.Second
	for _, tc := range []struct {
		query string
		want  time.Duration
		bad   bool
	}{
		{"", max, false},
		{"tether_hold=1500", 1500 * time.Millisecond, false},
		{"tether_hold=0", 0, false},
		{"tether_hold=25000", max, false},
		{"tether_hold=600000", max, false},
		{"tether_hold=18446744073709551615", max, false},
		{"tether_hold=", 0, true},
		{"tether_hold=015", 0, true},
		{"tether_hold=-1", 0, true},
		{"tether_hold=1.5", 0, true},
		{"tether_hold=99999999999999999999", 0, true},
	} {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pollHold(q, max)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: held %v, want an error", tc.query, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %v, %v; want %v", tc.query, got, err, tc.want)
		}
	}
	if _, err := pollHold(url.Values{wire.ParamHold: {"x"}}, max); err == nil || err.Error()[:len(wire.ParamHold)] != wire.ParamHold {
		t.Errorf("the error does not name the parameter: %v", err)
	}
}
