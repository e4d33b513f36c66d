package main

import (
	"errors"
	"testing"
)

func TestPkgOf(t *testing.T) {
	for name, want := range map[string]string{
		"runtime.gcStart":                                "runtime",
		"runtime.__mheap_.alloc":                         "runtime",
		"context.__cancelCtx_.cancel":                    "context",
		"fmt.Sprintf":                                    "fmt",
		"encoding_json.Unmarshal":                        "encoding_json",
		"github.com_tether_sdk_tether_client.Dial":       "github.com_tether_sdk_tether_client",
		"github.com_tether_sdk_tether_internal_seq.init": "github.com_tether_sdk_tether_internal_seq",
		"wasm_export_run":                                "wasm_export_run",
	} {
		if got := pkgOf(name); got != want {
			t.Errorf("pkgOf(%q) = %q, want %q", name, got, want)
		}
	}
}

// uleb appends n as unsigned LEB128.
func uleb(b []byte, n int) []byte {
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func section(id byte, body []byte) []byte { return append(uleb([]byte{id}, len(body)), body...) }

func str(s string) []byte { return append(uleb(nil, len(s)), s...) }

func TestParse(t *testing.T) {
	b := []byte("\x00asm\x01\x00\x00\x00")
	// One imported function, then two bodies named fmt.Sprintf and main.main.
	imp := append(uleb(nil, 1), append(append(str("go"), str("debug")...), 0, 0)...)
	b = append(b, section(2, imp)...)
	code := append(uleb(nil, 2), append(uleb(nil, 3), 1, 2, 3)...)
	code = append(code, append(uleb(nil, 1), 9)...)
	b = append(b, section(10, code)...)
	b = append(b, section(11, []byte("data!"))...)
	names := uleb(nil, 3)
	names = append(append(uleb(names, 0), str("go.debug")...), append(uleb(nil, 1), str("fmt.Sprintf")...)...)
	names = append(names, append(uleb(nil, 2), str("main.main")...)...)
	custom := append(str("name"), append(append([]byte{1}, uleb(nil, len(names))...), names...)...)
	b = append(b, section(0, custom)...)

	m, err := parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.imports != 1 || len(m.bodies) != 2 || len(m.bodies[0]) != 3 || string(m.data) != "data!" {
		t.Fatalf("parse: imports %d, bodies %d, data %q", m.imports, len(m.bodies), m.data)
	}
	if m.names[1] != "fmt.Sprintf" || m.names[2] != "main.main" {
		t.Fatalf("names = %v", m.names)
	}
	for n := 1; n < len(b); n++ {
		if _, err := parse(b[:n]); err == nil && n < 8 {
			t.Fatalf("parse of %d bytes: no error", n)
		} else if err != nil && !errors.Is(err, errTruncated) {
			t.Fatalf("parse of %d bytes: %v", n, err)
		}
	}
}
