package main

import (
	"go/format"
	"go/token"
	"strings"
	"testing"
)

func TestRewrite(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"module group", `package p

import (
	"errors"
	"fmt"

	"github.com/tether-sdk/tether/internal/wire"
)

var _ = wire.Version

func f(n int) error { return fmt.Errorf("n %d: %w", n, errors.ErrUnsupported) }
func g() string   { return fmt.Sprint(1) }
`, `package p

import (
	"errors"

	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/internal/xfmt"
)

var _ = wire.Version

func f(n int) error { return xfmt.Errorf("n %d: %w", n, errors.ErrUnsupported) }
func g() string   { return xfmt.Sprint(1) }
`},
		{"std only", `package p

import (
	"fmt"
	"strings"
)

func f(b *strings.Builder) { fmt.Fprintf(b, "%s", "x") }
`, `package p

import (
	"strings"

	"github.com/tether-sdk/tether/internal/xfmt"
)

func f(b *strings.Builder) { xfmt.Fprintf(b, "%s", "x") }
`},
		{"single import", `package p

import "fmt"

func f() string { return fmt.Sprintf("%d", 1) }
`, `package p

import "github.com/tether-sdk/tether/internal/xfmt"

func f() string { return xfmt.Sprintf("%d", 1) }
`},
		{"nothing to do", "package p\n\nimport \"strings\"\n\nvar _ = strings.ToLower\n", "package p\n\nimport \"strings\"\n\nvar _ = strings.ToLower\n"},
	} {
		problems = nil
		got, err := rewrite(token.NewFileSet(), c.name+".go", []byte(c.in))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want, err := format.Source([]byte(c.want))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s: got\n%s\nwant\n%s", c.name, got, want)
		}
		if len(problems) > 0 {
			t.Errorf("%s: problems %v", c.name, problems)
		}
		again, _ := rewrite(token.NewFileSet(), c.name+".go", got)
		if string(again) != string(got) {
			t.Errorf("%s: not idempotent", c.name)
		}
	}
}

func TestRewriteKeepsOtherFmtUses(t *testing.T) {
	problems = nil
	in := "package p\n\nimport \"fmt\"\n\nvar _ fmt.Stringer\n\nfunc f() string { return fmt.Sprint(1) }\n"
	got, err := rewrite(token.NewFileSet(), "p.go", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), "\"fmt\"") || !strings.Contains(string(got), "xfmt.Sprint(1)") {
		t.Errorf("got\n%s", got)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "fmt.Stringer has no xfmt counterpart") {
		t.Errorf("problems = %v", problems)
	}
}

func TestVerbsOf(t *testing.T) {
	if vs, bad := verbsOf("a %s %d %q %v %w %%"); bad != "" || string(vs) != "sdqvw" {
		t.Errorf("verbsOf = %q, %q", vs, bad)
	}
	for _, f := range []string{"%T", "%5d", "%x", "trailing %"} {
		if _, bad := verbsOf(f); bad == "" {
			t.Errorf("verbsOf(%q): no complaint", f)
		}
	}
}
