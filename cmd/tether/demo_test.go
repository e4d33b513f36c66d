package main

import (
	"strings"
	"testing"
	"time"
)

// demo runs by itself, passes every step and exits 0, well under a minute.
func TestDemo(t *testing.T) {
	t.Parallel()
	start := time.Now()
	r := tether(t, 3*time.Minute, "", "demo")
	took := time.Since(start)
	if r.code != 0 {
		t.Fatalf("demo failed\n%s", r)
	}
	for _, want := range []string{
		"connected over WebSocket",
		"SSE gets through",
		"long-polling gets through",
		"CONNECT 127.0.0.1:",
		"sent 200, received 200, duplicates 0, out of order 0",
		"the server's key is sha256/",
		"All 6 steps passed",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the demo's output lacks %q\n%s", want, r)
		}
	}
	if r.stderr != "" {
		t.Errorf("the demo wrote to stderr without -v:\n%s", r.stderr)
	}
	t.Logf("demo took %v", took.Round(time.Millisecond))
	if took > time.Minute {
		t.Errorf("the demo took %v; it must finish well under a minute", took)
	}
}
