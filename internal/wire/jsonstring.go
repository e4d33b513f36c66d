package wire

import "unicode/utf8"

// jsonSafe[c] reports whether byte c can appear unescaped in a JSON string.
// Bytes >= 0x80 are parts of valid UTF-8 sequences (checked by the caller)
// and are copied as they are; no HTML escaping is done.
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// marshalSafe[c] reports whether encoding/json's Marshal writes ASCII byte c
// of a string as it is: not a control character, quote, backslash, '<', '>'
// or '&', and not a byte >= 0x80 (those are decoded).
var marshalSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString appends s as a JSON string, in one of two ways:
//   - a text payload (marshal false; s is valid UTF-8): escaped are only '"',
//     '\' and control characters (as \n, \r, \t or \u00XX);
//   - a string of an object (marshal true; s may hold any bytes): as
//     encoding/json's Marshal writes it, with '<', '>', '&', U+2028 and U+2029
//     escaped as well, \b and \f, and bytes that are not UTF-8 as \ufffd.
func appendJSONString(dst, s []byte, marshal bool) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if marshal {
			for i < len(s) && marshalSafe[s[i]] {
				i++
			}
		} else {
			i += plainLen(s[i:])
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c >= utf8.RuneSelf { // marshal only: plainLen passes these
			r, n := utf8.DecodeRune(s[i:])
			switch {
			case r == utf8.RuneError && n == 1:
				dst = append(append(dst, s[start:i]...), `\ufffd`...)
			case r == '\u2028' || r == '\u2029':
				dst = append(append(dst, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&15])
			default:
				i += n
				continue
			}
			i += n
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\b' && marshal:
			dst = append(dst, '\\', 'b')
		case c == '\f' && marshal:
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
