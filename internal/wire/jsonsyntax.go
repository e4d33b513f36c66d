package wire

import "strconv"

// A JSON syntax checker, so that the package (and the browser build with it)
// needs no encoding/json: it accepts exactly what encoding/json's Valid
// accepts (RFC 8259, nesting up to maxJSONDepth), tested against it.

// maxJSONDepth bounds the nesting of arrays and objects, as encoding/json's.
const maxJSONDepth = 10000

type jsonChecker struct {
	b      []byte
	reason string // the first error; "" while none
}

// jsonSyntax returns "" when b is one JSON value with optional white space
// around it, else what is wrong and at which byte offset.
func jsonSyntax(b []byte) string {
	c := jsonChecker{b: b}
	i := c.value(skipSpace(b, 0), 0)
	if c.reason == "" && skipSpace(b, i) != len(b) {
		c.fail(skipSpace(b, i), "data after the JSON value")
	}
	return c.reason
}

// fail records the first error and returns len(b), which ends every loop.
func (c *jsonChecker) fail(i int, what string) int {
	if c.reason == "" {
		if i >= len(c.b) {
			c.reason = "unexpected end of JSON input"
		} else {
			c.reason = what + " at offset " + strconv.Itoa(i)
		}
	}
	return len(c.b)
}

// value checks the value at b[i] and returns the index after it.
func (c *jsonChecker) value(i, depth int) int {
	switch at(c.b, i) {
	case '"':
		return c.str(i)
	case '[':
		return c.array(i, depth+1)
	case '{':
		return c.object(i, depth+1)
	case 't':
		return c.literal(i, "true")
	case 'f':
		return c.literal(i, "false")
	case 'n':
		return c.literal(i, "null")
	}
	if ch := at(c.b, i); ch == '-' || ('0' <= ch && ch <= '9') {
		return c.number(i)
	}
	return c.fail(i, "invalid character looking for the beginning of a value")
}

func (c *jsonChecker) literal(i int, lit string) int {
	if len(c.b)-i < len(lit) || string(c.b[i:i+len(lit)]) != lit {
		for j := 0; j < len(lit); j++ {
			if at(c.b, i+j) != lit[j] {
				return c.fail(i+j, "invalid character in literal "+lit)
			}
		}
	}
	return i + len(lit)
}

func isDigit(ch byte) bool { return '0' <= ch && ch <= '9' }

// digits returns the index after the run of digits at b[i], failing if
// there is none.
func (c *jsonChecker) digits(i int) int {
	if !isDigit(at(c.b, i)) {
		return c.fail(i, "invalid character in number")
	}
	for isDigit(at(c.b, i)) {
		i++
	}
	return i
}

func (c *jsonChecker) number(i int) int {
	if at(c.b, i) == '-' {
		i++
	}
	if at(c.b, i) == '0' {
		i++
	} else if i = c.digits(i); c.reason != "" {
		return i
	}
	if at(c.b, i) == '.' {
		if i = c.digits(i + 1); c.reason != "" {
			return i
		}
	}
	if ch := at(c.b, i); ch == 'e' || ch == 'E' {
		i++
		if ch := at(c.b, i); ch == '+' || ch == '-' {
			i++
		}
		i = c.digits(i)
	}
	return i
}

func isHex(ch byte) bool { return isDigit(ch) || ('a' <= ch && ch <= 'f') || ('A' <= ch && ch <= 'F') }

func (c *jsonChecker) str(i int) int {
	for i++; i < len(c.b); i++ {
		i += plainLen(c.b[i:]) // the common bytes, eight at a time
		if i == len(c.b) {
			break
		}
		switch ch := c.b[i]; {
		case ch == '"':
			return i + 1
		case ch < 0x20:
			return c.fail(i, "invalid control character in string")
		case ch == '\\':
			i++
			switch at(c.b, i) {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for j := 1; j <= 4; j++ {
					if !isHex(at(c.b, i+j)) {
						return c.fail(i+j, "invalid character in \\u escape")
					}
				}
				i += 4
			default:
				return c.fail(i, "invalid character in string escape")
			}
		}
	}
	return c.fail(i, "")
}

func (c *jsonChecker) array(i, depth int) int {
	if depth > maxJSONDepth {
		return c.fail(i, "exceeded max depth")
	}
	i = skipSpace(c.b, i+1)
	if at(c.b, i) == ']' {
		return i + 1
	}
	for c.reason == "" {
		i = skipSpace(c.b, c.value(i, depth))
		switch at(c.b, i) {
		case ',':
			i = skipSpace(c.b, i+1)
		case ']':
			return i + 1
		default:
			return c.fail(i, "invalid character after array element")
		}
	}
	return i
}

func (c *jsonChecker) object(i, depth int) int {
	if depth > maxJSONDepth {
		return c.fail(i, "exceeded max depth")
	}
	i = skipSpace(c.b, i+1)
	if at(c.b, i) == '}' {
		return i + 1
	}
	for c.reason == "" {
		if at(c.b, i) != '"' {
			return c.fail(i, "invalid character looking for the beginning of an object key")
		}
		i = skipSpace(c.b, c.str(i))
		if c.reason != "" {
			return i
		}
		if at(c.b, i) != ':' {
			return c.fail(i, "invalid character after object key")
		}
		i = skipSpace(c.b, c.value(skipSpace(c.b, i+1), depth))
		switch at(c.b, i) {
		case ',':
			i = skipSpace(c.b, i+1)
		case '}':
			return i + 1
		default:
			return c.fail(i, "invalid character after object key:value pair")
		}
	}
	return i
}
