package wire

// plainLen returns how many bytes at the start of b a JSON string holds as
// they are: none is a control character (< 0x20), a quote or a backslash
// (bytes >= 0x80 count as plain: UTF-8 is checked elsewhere). It looks at
// sixteen, then eight bytes at a time (SWAR, one load per word), so that
// long payloads cost a fraction of a byte-by-byte loop.
func plainLen(b []byte) int {
	i := 0
	for ; len(b)-i >= 16; i += 16 {
		w := b[i : i+16 : i+16]
		x := le64(w[:8])
		y := le64(w[8:])
		if special(x)|special(y) != 0 {
			break
		}
	}
	for ; len(b)-i >= 8; i += 8 {
		if special(le64(b[i:i+8:i+8])) != 0 {
			break
		}
	}
	for ; i < len(b) && jsonSafe[b[i]]; i++ {
	}
	return i
}

// le64 is b[0:8] as a little-endian word (one load: the compiler merges
// the pattern).
func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// special is not zero when a byte of x is below 0x20 (without its high
// bit), a quote or a backslash: such a byte sets the high bit of its lane
// in one of the terms (the usual has-less and has-zero tests, exact for
// "any lane").
func special(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q, s := x^(lo*'"'), x^(lo*'\\')
	return ((x-lo*0x20)&^x | (q-lo)&^q | (s-lo)&^s) & hi
}
