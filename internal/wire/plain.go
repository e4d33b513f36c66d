package wire

// plainLen returns how many bytes at the start of b a JSON string holds as
// they are: none is a control character (< 0x20), a quote or a backslash
// (bytes >= 0x80 count as plain: UTF-8 is checked elsewhere). It looks at
// eight bytes at a time (SWAR), so that long payloads cost a fraction of a
// byte-by-byte loop.
func plainLen(b []byte) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; len(b)-i >= 8; i += 8 {
		x := uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24 |
			uint64(b[i+4])<<32 | uint64(b[i+5])<<40 | uint64(b[i+6])<<48 | uint64(b[i+7])<<56
		q, s := x^(lo*'"'), x^(lo*'\\')
		// A byte below 0x20 (without its high bit), or equal to '"' or
		// '\\', sets the high bit of its lane in one of the terms (the
		// usual has-less and has-zero tests: exact for "any lane").
		if ((x-lo*0x20)&^x|(q-lo)&^q|(s-lo)&^s)&hi != 0 {
			break
		}
	}
	for ; i < len(b) && jsonSafe[b[i]]; i++ {
	}
	return i
}
