package wire

import (
	"bytes"
	"testing"
)

func BenchmarkPlainLen1K(b *testing.B) {
	p := bytes.Repeat([]byte("abcdefgh"), 128)
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if plainLen(p) != len(p) {
			b.Fatal("short")
		}
	}
}
