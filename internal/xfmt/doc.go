// Package xfmt is the part of fmt the client core uses: Errorf (with %w
// wrapping that errors.Is and errors.As see through), Sprintf, Sprint and
// Fprintf, for the verbs %v %s %d %q %w and %% and the concrete types the
// core formats (strings, byte slices, errors, fmt.Stringers, booleans,
// integers, nil), without reflect.
//
// It exists for the browser build: fmt pulls reflect and about 0.16 MB of
// gzip into the WebAssembly bundle. Natively the functions are fmt's own, so
// native messages do not change; in the js build they are this package's
// implementation (format.go), which the tests hold to fmt's output on
// native. A value of another type prints as %!v(unsupported type), flags
// and widths are not supported, and %T cannot be: there is no reflect.
//
// rewrite/ is the program that moves the core packages' js-build files from
// fmt to xfmt; it can be run again after more code was written with fmt.
package xfmt
