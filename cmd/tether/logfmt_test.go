package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tether-sdk/tether/client"
)

// tether connect -v prints a silent path as it happens.
func TestEventLogPathSilent(t *testing.T) {
	var b strings.Builder
	l := newEventLog(&b, true)
	l.handle(client.PathSilentEvent{Transport: "sse", Silent: 3*time.Second + 412*time.Microsecond, Probing: true})
	if got, want := b.String(), "event=path_silent transport=sse silent=3s probing=true\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	b.Reset()
	newEventLog(&b, false).handle(client.PathSilentEvent{Transport: "sse", Silent: time.Second})
	if b.Len() != 0 {
		t.Fatalf("printed without -v: %q", b.String())
	}
}
