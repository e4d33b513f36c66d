package sse

import (
	"fmt"
	"strings"
	"testing"
)

// loopReader serves b over and over, counting the bytes served in n.
type loopReader struct {
	b   []byte
	off int
	n   int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.b[l.off:])
	l.off = (l.off + n) % len(l.b)
	l.n += n
	return n, nil
}

func BenchmarkReader(b *testing.B) {
	payload := strings.Repeat("0123456789abcdef", 64) // 1 KiB
	lines := strings.Repeat(payload[:63]+"\n", 16)[:1023]
	for _, bc := range []struct {
		name, format string
	}{
		{"1KiB", "data: " + payload + "\n\n"},
		{"1KiB-type-id", "event: update\nid: evt-%06d\ndata: " + payload + "\n\n"},
		{"1KiB-16-lines", "data: " + strings.ReplaceAll(lines, "\n", "\ndata: ") + "\n\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var wire []byte
			for i := range 64 {
				ev := bc.format
				if strings.Contains(ev, "%") {
					ev = fmt.Sprintf(ev, i)
				}
				wire = append(wire, ev...)
			}
			r := NewReader(&loopReader{b: wire}, nil)
			b.SetBytes(int64(len(wire) / 64))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Next(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
