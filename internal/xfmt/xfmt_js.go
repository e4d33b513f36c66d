//go:build js

package xfmt

import "io"

// Errorf formats as fmt.Errorf does, for the verbs and types of the package
// doc; the error wraps every %w operand that is a non-nil error.
func Errorf(format string, args ...any) error { return errorf(format, args...) }

// Sprintf formats as fmt.Sprintf does, for the verbs and types of the
// package doc.
func Sprintf(format string, args ...any) string { return string(appendf(nil, format, args, nil)) }

// Sprint formats as fmt.Sprint does, for the types of the package doc.
func Sprint(args ...any) string { return sprint(args...) }

// Fprintf writes what Sprintf returns to w.
func Fprintf(w io.Writer, format string, args ...any) (int, error) {
	return w.Write(appendf(nil, format, args, nil))
}
