//go:build !js

package xfmt

import (
	"fmt"
	"io"
)

// Errorf is fmt.Errorf (natively; see the package doc).
func Errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// Sprintf is fmt.Sprintf (natively).
func Sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// Sprint is fmt.Sprint (natively).
func Sprint(args ...any) string { return fmt.Sprint(args...) }

// Fprintf is fmt.Fprintf (natively).
func Fprintf(w io.Writer, format string, args ...any) (int, error) {
	return fmt.Fprintf(w, format, args...)
}
