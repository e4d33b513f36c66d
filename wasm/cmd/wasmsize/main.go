// Command wasmsize attributes the code of a Go WebAssembly binary built with
// symbols (no -ldflags=-s) to packages, from its name section, and can fail
// when packages that must stay out of the browser bundle have code in it.
//
//	wasmsize [-top N] [-forbid fmt,reflect] tether.wasm
//
// It prints the code bytes and the gzip -9 bytes of each package's
// function bodies, largest first; the data section (read-only data,
// type descriptors, the pc tables) is one line, as it is not attributed by
// the name section. -forbid lists packages that may not have code other
// than their init function (an import through a package that is linked for
// other reasons runs its init; only that may remain): any other function of
// theirs makes it exit 1, naming them.
package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

func main() {
	top := flag.Int("top", 40, "packages to list (0: none)")
	forbid := flag.String("forbid", "", "comma-separated packages that must have no code but their init")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: wasmsize [-top N] [-forbid pkg,...] FILE.wasm")
		os.Exit(2)
	}
	b, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	m, err := parse(b)
	if err != nil {
		fail(err)
	}
	if len(m.names) == 0 {
		fail(errors.New(flag.Arg(0) + " has no name section: build it without -ldflags=-s"))
	}
	code := map[string][]byte{}
	funcs := map[string][]string{}
	for i, body := range m.bodies {
		name := m.names[m.imports+i]
		pkg := pkgOf(name)
		code[pkg] = append(code[pkg], body...)
		funcs[pkg] = append(funcs[pkg], name)
	}
	pkgs := make([]string, 0, len(code))
	for p := range code {
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool { return len(code[pkgs[i]]) > len(code[pkgs[j]]) })
	if *top > 0 {
		fmt.Printf("%-52s %10s %10s\n", "package (code of its functions)", "bytes", "gzip -9")
		for i, p := range pkgs {
			if i == *top {
				break
			}
			fmt.Printf("%-52s %10d %10d\n", p, len(code[p]), gz(code[p]))
		}
		fmt.Printf("%-52s %10d %10d\n", "(data section: rodata, types, pc tables)", len(m.data), gz(m.data))
		fmt.Printf("%-52s %10d %10d\n", "(whole file)", len(b), gz(b))
	}
	var bad []string
	for _, p := range strings.Split(*forbid, ",") {
		if p == "" {
			continue
		}
		for _, f := range funcs[mangle(p)] {
			if f != mangle(p)+".init" {
				bad = append(bad, f)
			}
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		if len(bad) > 10 {
			bad = append(bad[:10], "...")
		}
		fmt.Fprintf(os.Stderr, "wasmsize: forbidden packages have code in %s: %s\n", flag.Arg(0), strings.Join(bad, ", "))
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "wasmsize:", err)
	os.Exit(2)
}

// mangle spells an import path as the name section does ('/' as '_').
func mangle(path string) string { return strings.ReplaceAll(path, "/", "_") }

// pkgOf returns the mangled package of a function name: up to the first '.'
// after the path's first element when that is a domain (github.com_...),
// else up to the first '.'.
func pkgOf(name string) string {
	off := 0
	if i := strings.IndexByte(name, '_'); i > 0 && isDomain(name[:i]) && strings.Contains(name[i:], ".") {
		off = i
	}
	if j := strings.IndexByte(name[off:], '.'); j >= 0 {
		return name[:off+j]
	}
	return name
}

// isDomain: lower-case letters, digits, '-' and at least one '.', not last
// ("runtime.__mheap_.alloc" is a method of package runtime).
func isDomain(s string) bool {
	for _, c := range s {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return strings.Contains(s, ".") && !strings.HasSuffix(s, ".")
}

func gz(b []byte) int {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Len()
}

type module struct {
	imports int            // imported functions (they come first in the index space)
	bodies  [][]byte       // code section bodies, in order
	names   map[int]string // function index -> name
	data    []byte         // data section
}

var errTruncated = errors.New("truncated or not a wasm file")

type reader struct {
	b   []byte
	p   int
	err error
}

func (r *reader) uleb() int {
	var v, s uint
	for {
		if r.p >= len(r.b) || s > 35 {
			r.err = errTruncated
			return 0
		}
		c := r.b[r.p]
		r.p++
		v |= uint(c&0x7f) << s
		if c < 0x80 {
			return int(v)
		}
		s += 7
	}
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n < 0 || r.p+n > len(r.b) {
		r.err = errTruncated
		return nil
	}
	out := r.b[r.p : r.p+n]
	r.p += n
	return out
}

func (r *reader) byte() byte {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func parse(b []byte) (*module, error) {
	if len(b) < 8 || string(b[:4]) != "\x00asm" {
		return nil, errTruncated
	}
	m := &module{names: map[int]string{}}
	r := &reader{b: b, p: 8}
	for r.p < len(b) && r.err == nil {
		id := r.byte()
		sec := &reader{b: r.bytes(r.uleb())}
		switch id {
		case 2: // imports: count the functions
			for n := sec.uleb(); n > 0 && sec.err == nil; n-- {
				sec.bytes(sec.uleb())
				sec.bytes(sec.uleb())
				switch sec.byte() {
				case 0:
					sec.uleb()
					m.imports++
				case 1:
					sec.byte()
					if sec.byte()&1 != 0 {
						sec.uleb()
					}
					sec.uleb()
				case 2:
					if sec.byte()&1 != 0 {
						sec.uleb()
					}
					sec.uleb()
				case 3:
					sec.bytes(2)
				}
			}
		case 10:
			for n := sec.uleb(); n > 0 && sec.err == nil; n-- {
				m.bodies = append(m.bodies, sec.bytes(sec.uleb()))
			}
		case 11:
			m.data = sec.b
		case 0:
			if string(sec.bytes(sec.uleb())) != "name" {
				continue
			}
			for sec.p < len(sec.b) && sec.err == nil {
				sub := sec.byte()
				s := &reader{b: sec.bytes(sec.uleb())}
				if sub != 1 {
					continue
				}
				for n := s.uleb(); n > 0 && s.err == nil; n-- {
					idx := s.uleb()
					m.names[idx] = string(s.bytes(s.uleb()))
				}
			}
		}
		if sec.err != nil {
			return nil, sec.err
		}
	}
	return m, r.err
}
