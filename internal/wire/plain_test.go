package wire

import "testing"

// TestPlainLen: plainLen agrees with the byte-by-byte jsonSafe loop for a
// special byte (or none) at every position of payloads of every length up
// to 40, with ASCII and non-ASCII filler.
func TestPlainLen(t *testing.T) {
	slow := func(b []byte) int {
		i := 0
		for i < len(b) && jsonSafe[b[i]] {
			i++
		}
		return i
	}
	specials := []byte{0, 1, 0x1f, '"', '\\'}
	plain := []byte{' ', 'a', '~', 0x7f, 0x80, 0xc3, 0xff, 0x21, 0x23, 0x5b, 0x5d}
	for n := 0; n <= 40; n++ {
		for _, f := range plain {
			b := make([]byte, n)
			for i := range b {
				b[i] = f
			}
			if got, want := plainLen(b), slow(b); got != want {
				t.Fatalf("plainLen(%d x %#x) = %d, want %d", n, f, got, want)
			}
			for pos := 0; pos < n; pos++ {
				for _, s := range specials {
					old := b[pos]
					b[pos] = s
					if got, want := plainLen(b), slow(b); got != want {
						t.Fatalf("plainLen(%q) = %d, want %d", b, got, want)
					}
					b[pos] = old
				}
			}
		}
	}
}
