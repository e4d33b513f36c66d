package xfmt

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// The js implementation (format.go) is held to fmt, natively.

type kind byte

func (k kind) String() string { return "kind-" + string(rune(k)) }

type codeErr struct{ code int }

func (e *codeErr) Error() string { return "code " + fmt.Sprint(e.code) }

func TestSprintfAgreesWithFmt(t *testing.T) {
	cases := []struct {
		format string
		args   []any
	}{
		{"plain", nil},
		{"100%%", nil},
		{"%s %v %q", []any{"a", "b\n", "c\"\x00é"}},
		{"%d %v %d %d %d", []any{-1, int64(1 << 60), uint64(1<<64 - 1), uint8(7), int32(-5)}},
		{"%v %s %q", []any{kind('m'), kind('b'), kind('x')}},
		{"%v|%s|%q", []any{errors.New("e1"), &codeErr{3}, io.EOF}},
		{"%v %v", []any{true, false}},
		{"%v %s", []any{nil, nil}},
		{"%v %s %q %d", []any{[]byte("hi"), []byte("hi"), []byte("h\"i"), []byte{1, 2}}},
		{"%v %s", []any{250 * time.Millisecond, 3 * time.Second}},
		{"%d %s %q", []any{"str", 5, true}},
		{"%s %d", []any{"only one"}},
		{"%s", []any{"a", 1, "b"}},
		{"trailing %", nil},
		{"%q %q %q %q %q", []any{'x', uint32(0x1f600), -1, int64(1 << 40), uint64(0x110000)}},
		{"%v", []any{os.ErrDeadlineExceeded}},
		{"%é %v", []any{1, 2}},
	}
	for _, c := range cases {
		want := fmt.Sprintf(c.format, c.args...)
		if got := string(appendf(nil, c.format, c.args, nil)); got != want {
			t.Errorf("Sprintf(%q, %v) = %q, fmt: %q", c.format, c.args, got, want)
		}
	}
}

func TestSprintAgreesWithFmt(t *testing.T) {
	for _, args := range [][]any{
		{}, {1}, {1, 2}, {"a", "b"}, {"a", 1, 2, "b", true}, {kind('m'), 3}, {nil, 1}, {errors.New("x"), "y"},
	} {
		if got, want := sprint(args...), fmt.Sprint(args...); got != want {
			t.Errorf("Sprint(%v) = %q, fmt: %q", args, got, want)
		}
	}
}

func TestErrorfWraps(t *testing.T) {
	inner := &codeErr{7}
	for _, c := range []struct {
		format string
		args   []any
		is     []error
	}{
		{"plain %d", []any{1}, nil},
		{"op: %w", []any{io.EOF}, []error{io.EOF}},
		{"%w: ack %d, last %d", []any{os.ErrDeadlineExceeded, 5, 3}, []error{os.ErrDeadlineExceeded}},
		{"%w: %w", []any{io.EOF, inner}, []error{io.EOF, inner}},
		{"nil: %w", []any{nil}, nil},
		{"not an error: %w", []any{"s"}, nil},
		{"%v then %w", []any{io.EOF, io.ErrUnexpectedEOF}, []error{io.ErrUnexpectedEOF}},
	} {
		got, want := errorf(c.format, c.args...), fmt.Errorf(c.format, c.args...)
		if got.Error() != want.Error() {
			t.Errorf("Errorf(%q) = %q, fmt: %q", c.format, got, want)
		}
		for _, target := range []error{io.EOF, io.ErrUnexpectedEOF, os.ErrDeadlineExceeded, inner} {
			if g, w := errors.Is(got, target), errors.Is(want, target); g != w {
				t.Errorf("Errorf(%q): errors.Is(%v) = %v, with fmt %v", c.format, target, g, w)
			}
		}
		var ce *codeErr
		if g, w := errors.As(got, &ce), errors.As(want, &ce); g != w {
			t.Errorf("Errorf(%q): errors.As(*codeErr) = %v, with fmt %v", c.format, g, w)
		}
		for _, e := range c.is {
			if !errors.Is(got, e) {
				t.Errorf("Errorf(%q) does not wrap %v", c.format, e)
			}
		}
	}
}

// supported reports whether every verb in format is one this package
// implements without flags.
func supported(format string) bool {
	for i := 0; i < len(format); i++ {
		if format[i] == '%' {
			if i+1 == len(format) {
				return true // %!(NOVERB)
			}
			if !strings.ContainsRune("vsdq%", rune(format[i+1])) {
				return false
			}
			i++
		}
	}
	return true
}

// verbs lists the verbs of format that take an operand.
func verbs(format string) []byte {
	var vs []byte
	for i := 0; i < len(format); i++ {
		if format[i] == '%' && i+1 < len(format) {
			if format[i+1] != '%' {
				vs = append(vs, format[i+1])
			}
			i++
		}
	}
	return vs
}

// FuzzSprintfAgreesWithFmt: for any format of the supported verbs and
// operands of the supported types, the output is fmt's, and Errorf's is
// fmt.Errorf's with the same errors.Is answers.
func FuzzSprintfAgreesWithFmt(f *testing.F) {
	f.Add("tether: %s failed after %v: %q (%d)%%", "sse", int64(250), true, []byte("x"))
	f.Add("%d %d %s %q %v %s", "", int64(-1), false, []byte{0xff})
	f.Add("%", "\x00", int64(1<<62), true, []byte(nil))
	f.Fuzz(func(t *testing.T, format, s string, n int64, b bool, bs []byte) {
		if !supported(format) {
			return
		}
		all := []any{s, n, b, bs, kind(n), time.Duration(n), uint64(n), int(n), errors.New(s), nil}
		// %d of a named integer type (a Stringer) prints the number, which
		// needs reflect: call sites convert (rewrite checks it).
		ints := []any{n, uint64(n), int(n), int32(n), uint8(n), s, b, bs}
		// As many operands as verbs: an extra one prints its type's name,
		// which this package cannot know.
		var args []any
		for _, v := range verbs(format) {
			if v == 'd' {
				args = append(args, ints[len(args)%len(ints)])
			} else {
				args = append(args, all[len(args)%len(all)])
			}
		}
		if want, got := fmt.Sprintf(format, args...), string(appendf(nil, format, args, nil)); got != want {
			t.Fatalf("Sprintf(%q, ...) = %q, fmt: %q", format, got, want)
		}
		wf := format + ": %w"
		if !supported(wf) || len(verbs(wf)) != len(args)+1 {
			return // format ended in a lone %
		}
		got, want := errorf(wf, append(args, io.EOF)...), fmt.Errorf(wf, append(args, io.EOF)...)
		if got.Error() != want.Error() || !errors.Is(got, io.EOF) {
			t.Fatalf("Errorf(%q, ...) = %q, fmt: %q", wf, got, want)
		}
	})
}
