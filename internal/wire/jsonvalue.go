package wire

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Reading and writing the JSON values of the frame objects (hello, welcome,
// close, error) without encoding/json, with its semantics for exactly these
// shapes: keys match case-insensitively (as encoding/json's folding), the
// last of duplicate keys wins, null leaves a plain field as it is and clears
// a pointer or slice, and a value of the wrong type is an error. Each
// function below takes a value already checked by jsonSyntax.

// unquoteJSON decodes the JSON string raw, quotes included. Escaped lone
// surrogates and bytes that are not UTF-8 become U+FFFD, as encoding/json
// decodes them.
func unquoteJSON(raw []byte) []byte {
	s := raw[1 : len(raw)-1]
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, s[i:i+n]...)
			}
			i += n
			continue
		}
		e := at(s, i+1)
		i += 2
		switch e {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(s, i)
			i += 4
			if utf16.IsSurrogate(r) {
				if at(s, i) == '\\' && at(s, i+1) == 'u' {
					if d := utf16.DecodeRune(r, hex4(s, i+2)); d != utf8.RuneError {
						out = utf8.AppendRune(out, d)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, e)
		}
	}
	return out
}

// hex4 reads the four hex digits at s[i:] (-1 if they are not).
func hex4(s []byte, i int) rune {
	var r rune
	for j := i; j < i+4; j++ {
		c := at(s, j)
		switch {
		case isDigit(c):
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return -1
		}
	}
	return r
}

// eachMember calls fn with the unescaped key and the raw value of each member
// of the JSON object b, in order, and stops at the first reason fn returns.
func eachMember(b []byte, fn func(key string, v []byte) string) string {
	i := skipSpace(b, 1)
	for at(b, i) == '"' {
		end := stringEnd(b, i)
		key := unquoteJSON(b[i:end])
		i = skipSpace(b, skipSpace(b, end)+1) // past ':'
		end = valueEnd(b, i)
		if reason := fn(foldKey(key), b[i:end]); reason != "" {
			return reason
		}
		if i = skipSpace(b, end); at(b, i) != ',' {
			break
		}
		i = skipSpace(b, i+1)
	}
	return ""
}

// foldKey folds a key as encoding/json matches field names: ASCII letters to
// lower case, and the two non-ASCII runes whose fold sets hold an ASCII
// letter (U+017F long s, U+212A Kelvin sign). Other keys match no field.
func foldKey(k []byte) string {
	out := make([]byte, 0, len(k))
	for i := 0; i < len(k); {
		r, n := utf8.DecodeRune(k[i:])
		switch {
		case 'A' <= r && r <= 'Z':
			r += 'a' - 'A'
		case r == '\u017f':
			r = 's'
		case r == '\u212a':
			r = 'k'
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	return string(out)
}

// typeError names a member whose value has the wrong JSON type.
func typeError(key string, v []byte) string {
	what := "number"
	switch at(v, 0) {
	case '"':
		what = "string"
	case '[':
		what = "array"
	case '{':
		what = "object"
	case 't', 'f':
		what = "bool"
	}
	return strconv.Quote(key) + " has the wrong type (" + what + ")"
}

func isNull(v []byte) bool { return at(v, 0) == 'n' }

// jsonInt reads an integer member; null reports ok and set false.
func jsonInt(key string, v []byte) (n int64, set bool, reason string) {
	if isNull(v) {
		return 0, false, ""
	}
	if c := at(v, 0); c != '-' && !isDigit(c) {
		return 0, false, typeError(key, v)
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, false, typeError(key, v)
	}
	return n, true, ""
}

func jsonUint(key string, v []byte) (n uint64, set bool, reason string) {
	if isNull(v) {
		return 0, false, ""
	}
	if !isDigit(at(v, 0)) {
		return 0, false, typeError(key, v)
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return 0, false, typeError(key, v)
	}
	return n, true, ""
}

func jsonBool(key string, v []byte) (b bool, set bool, reason string) {
	switch at(v, 0) {
	case 'n':
		return false, false, ""
	case 't', 'f':
		return v[0] == 't', true, ""
	}
	return false, false, typeError(key, v)
}

func jsonString(key string, v []byte) (s string, set bool, reason string) {
	switch at(v, 0) {
	case 'n':
		return "", false, ""
	case '"':
		return string(unquoteJSON(v)), true, ""
	}
	return "", false, typeError(key, v)
}

// jsonArray calls fn with each element of the array v; null reports set
// false.
func jsonArray(key string, v []byte, fn func(el []byte) string) (set bool, reason string) {
	if isNull(v) {
		return false, ""
	}
	if at(v, 0) != '[' {
		return false, typeError(key, v)
	}
	for i := skipSpace(v, 1); at(v, i) != ']' && i < len(v); {
		end := valueEnd(v, i)
		if reason := fn(v[i:end]); reason != "" {
			return false, reason
		}
		if i = skipSpace(v, end); at(v, i) == ',' {
			i = skipSpace(v, i+1)
		}
	}
	return true, ""
}

func jsonStrings(key string, v []byte) ([]string, bool, string) {
	out := []string{}
	set, reason := jsonArray(key, v, func(el []byte) string {
		s, _, reason := jsonString(key, el) // null: ""
		out = append(out, s)
		return reason
	})
	return out, set, reason
}

func jsonInts(key string, v []byte) ([]int, bool, string) {
	out := []int{}
	set, reason := jsonArray(key, v, func(el []byte) string {
		n, _, reason := jsonInt(key, el) // null: 0
		out = append(out, int(n))
		return reason
	})
	return out, set, reason
}
