package xfmt

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// stringer is fmt.Stringer, without importing fmt.
type stringer interface{ String() string }

// appendf appends format with args formatted to dst. If wrapped is not
// nil, the non-nil errors of %w operands are added to it.
func appendf(dst []byte, format string, args []any, wrapped *[]error) []byte {
	n := 0 // next argument
	for i := 0; i < len(format); {
		c := format[i]
		if c != '%' {
			j := i + 1
			for j < len(format) && format[j] != '%' {
				j++
			}
			dst = append(dst, format[i:j]...)
			i = j
			continue
		}
		if i+1 == len(format) {
			dst = append(dst, "%!(NOVERB)"...)
			break
		}
		verb, size := utf8.DecodeRuneInString(format[i+1:])
		i += 1 + size
		if verb == '%' {
			dst = append(dst, '%')
			continue
		}
		if n >= len(args) {
			dst = append(append(append(dst, "%!"...), string(verb)...), "(MISSING)"...)
			continue
		}
		arg := args[n]
		n++
		if verb == 'w' {
			if err, ok := arg.(error); ok && wrapped != nil {
				if err != nil {
					*wrapped = append(*wrapped, err)
				}
				verb = 'v'
			} else {
				dst = appendBad(dst, verb, arg)
				continue
			}
		}
		dst = appendArg(dst, verb, arg)
	}
	if n < len(args) {
		dst = append(dst, "%!(EXTRA "...)
		for k, a := range args[n:] {
			if k > 0 {
				dst = append(dst, ", "...)
			}
			dst = appendBad(dst, 0, a)
		}
		dst = append(dst, ')')
	}
	return dst
}

// appendBad writes a wrong operand as fmt does (%!verb(type=value)), as far
// as the type's name is known without reflect.
func appendBad(dst []byte, verb rune, arg any) []byte {
	if verb != 0 {
		dst = append(append(append(dst, "%!"...), string(verb)...), '(')
	}
	if arg == nil {
		dst = append(dst, "<nil>"...)
	} else {
		dst = appendArg(append(append(dst, typeName(arg)...), '='), 'v', arg)
	}
	if verb != 0 {
		dst = append(dst, ')')
	}
	return dst
}

func typeName(arg any) string {
	switch arg.(type) {
	case string:
		return "string"
	case bool:
		return "bool"
	case int:
		return "int"
	case int64:
		return "int64"
	case int32:
		return "int32"
	case uint64:
		return "uint64"
	case uint:
		return "uint"
	case uint32:
		return "uint32"
	case []byte:
		return "[]uint8"
	}
	return "?"
}

// appendArg formats one operand with verb v, s, d or q.
func appendArg(dst []byte, verb rune, arg any) []byte {
	if arg == nil {
		if verb == 'v' {
			return append(dst, "<nil>"...)
		}
		return append(append(append(dst, "%!"...), string(verb)...), "(<nil>)"...)
	}
	if b, ok := arg.([]byte); ok && verb != 's' && verb != 'q' {
		return appendBytes(dst, verb, b)
	}
	if s, ok := text(arg); ok {
		switch verb {
		case 'v', 's':
			return append(dst, s...)
		case 'q':
			return strconv.AppendQuote(dst, s)
		}
	}
	switch x := arg.(type) {
	case bool:
		if verb == 'v' {
			return strconv.AppendBool(dst, x)
		}
		return appendBad(dst, verb, arg)
	case int:
		return appendInt(dst, verb, int64(x), arg)
	case int8:
		return appendInt(dst, verb, int64(x), arg)
	case int16:
		return appendInt(dst, verb, int64(x), arg)
	case int32:
		return appendInt(dst, verb, int64(x), arg)
	case int64:
		return appendInt(dst, verb, x, arg)
	case uint:
		return appendUint(dst, verb, uint64(x), arg)
	case uint8:
		return appendUint(dst, verb, uint64(x), arg)
	case uint16:
		return appendUint(dst, verb, uint64(x), arg)
	case uint32:
		return appendUint(dst, verb, uint64(x), arg)
	case uint64:
		return appendUint(dst, verb, x, arg)
	case uintptr:
		return appendUint(dst, verb, uint64(x), arg)
	}
	if _, ok := text(arg); ok {
		return appendBad(dst, verb, arg)
	}
	return append(append(append(dst, "%!"...), string(verb)...), "(unsupported type)"...)
}

// text returns the text of an operand that %s prints: a string, a []byte,
// an error's Error() or a Stringer's String() (errors first, as fmt).
func text(arg any) (string, bool) {
	switch x := arg.(type) {
	case error:
		return x.Error(), true
	case stringer:
		return x.String(), true
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

// appendBytes writes a []byte with %v or %d: its bytes as decimal numbers.
func appendBytes(dst []byte, verb rune, b []byte) []byte {
	if verb != 'v' && verb != 'd' {
		return appendBad(dst, verb, b)
	}
	dst = append(dst, '[')
	for i, c := range b {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = strconv.AppendUint(dst, uint64(c), 10)
	}
	return append(dst, ']')
}

func appendInt(dst []byte, verb rune, n int64, arg any) []byte {
	if verb == 'v' || verb == 'd' {
		return strconv.AppendInt(dst, n, 10)
	}
	if verb == 'q' {
		return appendQuoteRune(dst, uint64(n))
	}
	return appendBad(dst, verb, arg)
}

func appendUint(dst []byte, verb rune, n uint64, arg any) []byte {
	if verb == 'v' || verb == 'd' {
		return strconv.AppendUint(dst, n, 10)
	}
	if verb == 'q' {
		return appendQuoteRune(dst, n)
	}
	return appendBad(dst, verb, arg)
}

// appendQuoteRune writes an integer with %q, as fmt: the quoted character,
// U+FFFD past the last code point.
func appendQuoteRune(dst []byte, n uint64) []byte {
	if n > utf8.MaxRune {
		n = utf8.RuneError
	}
	return strconv.AppendQuoteRune(dst, rune(n))
}

// sprint formats as fmt.Sprint: operands as %v, with a space between two
// operands when neither is a string.
func sprint(args ...any) string {
	var dst []byte
	for i, a := range args {
		_, isStr := a.(string)
		if i > 0 && !isStr {
			if _, prevStr := args[i-1].(string); !prevStr {
				dst = append(dst, ' ')
			}
		}
		dst = appendArg(dst, 'v', a)
	}
	return string(dst)
}

// errorf is fmt.Errorf's logic: no %w operand gives a plain error, one a
// wrapping error, several an error whose Unwrap returns all of them.
func errorf(format string, args ...any) error {
	var wrapped []error
	msg := string(appendf(nil, format, args, &wrapped))
	switch len(wrapped) {
	case 0:
		return errors.New(msg)
	case 1:
		return &wrapError{msg, wrapped[0]}
	}
	return &wrapErrors{msg, wrapped}
}

type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return e.msg }
func (e *wrapError) Unwrap() error { return e.err }

type wrapErrors struct {
	msg  string
	errs []error
}

func (e *wrapErrors) Error() string   { return e.msg }
func (e *wrapErrors) Unwrap() []error { return e.errs }
