package urlx

import (
	"net/url"
	"reflect"
	"testing"
)

var samples = []string{
	"", "wss://example.com", "wss://example.com/live?x=1&y=%20#frag", "ws://127.0.0.1:8080/a%2Fb/c",
	"https://user:p%40ss@host.example:443/p?q", "wss://[::1]:9000/x", "wss://[::1]/", "ws://localhost./", "/relative?x",
	"//host/path", "path/only", "a:b", "mailto:x@y", "wss://host:/x", "WSS://Host.Example/Ünï", "wss://ünï.example/",
	"wss://host/a b", "wss://host/%zz", "wss://ho st/", "wss://host:80x/", "wss://[fe80::1%25en0]/", "wss://[::1",
	"wss://a:b:c/", ":foo", "*", "wss://host/\x7f", "?q", "#f", "wss://host/#a%20b", "wss://host/#a b", "wss://u@h/",
	"wss://h/p?", "wss:///path", "///x", "1wss://h/", "w+s-s.x://h/", "wss://h/%2F?%zz", "wss://[1.2.3.4]/",
	"wss://@h/", "wss://h@/", "wss://h/é", "wss://h/#é", "wss://h/p;x=1", "http://[::ffff:1.2.3.4]:1/",
}

// check fails t unless Parse(raw), when it accepts raw, returns what
// url.Parse does.
func check(t testing.TB, raw string) {
	t.Helper()
	got, err := Parse(raw)
	if err != nil {
		if _, ok := err.(*Error); !ok {
			t.Fatalf("Parse(%q) error %T, not *Error", raw, err)
		}
		return
	}
	want, werr := url.Parse(raw)
	if werr != nil {
		t.Fatalf("Parse(%q) accepts what url.Parse refuses (%v): %#v", raw, werr, got)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(%q) = %#v, url.Parse = %#v", raw, got, want)
	}
	if got.String() != want.String() || got.Redacted() != want.Redacted() {
		t.Fatalf("Parse(%q).String() = %q, url.Parse's: %q", raw, got, want)
	}
}

func TestParseAgreesWithNetURL(t *testing.T) {
	accepted := 0
	for _, raw := range samples {
		check(t, raw)
		if _, err := Parse(raw); err == nil {
			accepted++
		}
	}
	// The subset is not empty: the usual shapes parse.
	for _, raw := range []string{"wss://example.com/live", "ws://127.0.0.1:8080/x", "https://u:p@h:1/p?q#f",
		"wss://[::1]:9/", "/path?x", ""} {
		if _, err := Parse(raw); err != nil {
			t.Errorf("Parse(%q): %v", raw, err)
		}
	}
	if accepted < len(samples)/2 {
		t.Errorf("only %d of %d samples parse", accepted, len(samples))
	}
}

func TestParseRefuses(t *testing.T) {
	for _, raw := range []string{"wss://host/\x00", ":x", "wss://ho st/", "wss://h:8x/", "wss://[::1"} {
		if u, err := Parse(raw); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", raw, u)
		}
	}
	if _, err := Parse("a/b:c"); err != nil {
		t.Errorf("a/b:c: %v (a colon after the first segment is allowed)", err)
	}
	if _, err := Parse("b:c/d"); err != nil {
		t.Errorf("b:c/d is scheme b: %v", err)
	}
	if _, err := Parse("1b:c"); err == nil {
		t.Errorf("1b:c has no scheme and a colon in the first segment: want an error")
	}
}

// FuzzParseAgreesWithNetURL: whatever Parse accepts, url.Parse accepts and
// parses to the same URL; nothing panics.
func FuzzParseAgreesWithNetURL(f *testing.F) {
	for _, s := range samples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) { check(t, raw) })
}
