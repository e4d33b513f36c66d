//go:build !js

package client

import (
	"testing"
	"time"

	"github.com/tether-sdk/tether/transport"
)

// TCP_USER_TIMEOUT, the kernel's backstop, follows a longer AckTimeout so it
// never fires before the client's own bound; a set one is kept, and the
// caller's Config is not changed.
func TestUserTimeoutFollowsAckTimeout(t *testing.T) {
	mine := &transport.Config{DialTimeout: time.Second}
	for _, c := range []struct {
		name string
		o    Options
		want time.Duration // 0: Options.Dial passed as it is
	}{
		{"default AckTimeout", Options{AckTimeout: DefaultAckTimeout}, 0},
		{"AckTimeout off", Options{AckTimeout: -1}, 0},
		{"long AckTimeout", Options{AckTimeout: 10 * time.Second}, 50 * time.Second},
		{"long AckTimeout, own Config", Options{AckTimeout: 10 * time.Second, Dial: mine}, 50 * time.Second},
		{"UserTimeout set", Options{AckTimeout: 10 * time.Second, Dial: &transport.Config{UserTimeout: 7 * time.Second}}, 0},
	} {
		got := dialConfig(&c.o)
		if c.want == 0 {
			if got != c.o.Dial {
				t.Errorf("%s: got a new Config, want Options.Dial as it is", c.name)
			}
			continue
		}
		if got == nil || got.UserTimeout != c.want {
			t.Errorf("%s: UserTimeout %v, want %v", c.name, got, c.want)
			continue
		}
		if c.o.Dial != nil && (got == c.o.Dial || c.o.Dial.UserTimeout != 0 || got.DialTimeout != c.o.Dial.DialTimeout) {
			t.Errorf("%s: the caller's Config was changed or not copied", c.name)
		}
	}
}
