package sse

import (
	"bytes"
	"strings"
	"testing"
)

// chunks is a source whose every Read returns its next chunk (or as much
// of it as fits).
type chunks struct{ parts [][]byte }

func (c *chunks) Read(p []byte) (int, error) {
	for len(c.parts) > 0 && len(c.parts[0]) == 0 {
		c.parts = c.parts[1:]
	}
	if len(c.parts) == 0 {
		return 0, nil
	}
	n := copy(p, c.parts[0])
	c.parts[0] = c.parts[0][n:]
	return n, nil
}

// A stream that was busy (its reads filled the buffer, which grew to
// busyBufSize) and then goes quiet (heartbeats, a small event now and then)
// gives the grown buffer back after quietReads small reads.
func TestBufferShrinksWhenQuiet(t *testing.T) {
	event := "data: " + strings.Repeat("x", 1000) + "\n\n"
	burst := bytes.Repeat([]byte(event), 400) // 400 KB in full reads
	src := &chunks{parts: [][]byte{burst}}
	for range quietReads + 2 {
		src.parts = append(src.parts, []byte(":heartbeat\n\n"), []byte("data: small\n\n"))
	}
	r := NewReader(src, nil)
	for range 400 {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(r.lines.buf); got != busyBufSize {
		t.Fatalf("after the burst the buffer is %d bytes, want it grown to %d: the test proves nothing", got, busyBufSize)
	}
	for i := range quietReads + 2 {
		ev, err := r.Next()
		if err != nil || string(ev.Data) != "small" {
			t.Fatalf("quiet event %d: %q %v", i, ev.Data, err)
		}
	}
	if got := len(r.lines.buf); got != initialBufSize {
		t.Fatalf("after %d quiet reads the buffer is %d bytes, want %d", 2*(quietReads+2), got, initialBufSize)
	}
}
