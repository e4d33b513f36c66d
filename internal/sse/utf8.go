package sse

import "unicode/utf8"

// decodeString converts b to a string the way the UTF-8 decode algorithm of
// the Encoding standard decodes it: every maximal ill-formed subsequence
// becomes one U+FFFD. Valid input is converted as is.
func decodeString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(appendDecoded(make([]byte, 0, len(b)+8), b))
}

func appendDecoded(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			dst = append(dst, b[i])
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || size > 1 {
			dst = append(dst, b[i:i+size]...)
			i += size
			continue
		}
		dst = append(dst, "\uFFFD"...)
		i += illFormedLen(b[i:])
	}
	return dst
}

// illFormedLen returns the length of the maximal ill-formed subsequence at
// the start of b, which must not start with a well-formed sequence: the
// lead byte and the continuation bytes after it that were still acceptable
// (Encoding standard, UTF-8 decoder; Unicode "U+FFFD substitution of
// maximal subparts").
func illFormedLen(b []byte) int {
	need, lo, hi := 0, byte(0x80), byte(0xBF)
	switch c := b[0]; {
	case 0xC2 <= c && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case 0xE1 <= c && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case 0xF1 <= c && c <= 0xF3:
		need = 3
	default:
		return 1
	}
	n := 1
	for n <= need && n < len(b) && lo <= b[n] && b[n] <= hi {
		lo, hi = 0x80, 0xBF
		n++
	}
	return n
}
