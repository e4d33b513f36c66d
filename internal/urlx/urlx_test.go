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
	if !reflect.DeepEqual(netURL(got), want) {
		t.Fatalf("Parse(%q) = %#v, url.Parse = %#v", raw, got, want)
	}
	if got.String() != want.String() || got.Redacted() != want.Redacted() {
		t.Fatalf("Parse(%q).String() = %q, url.Parse's: %q", raw, got, want)
	}
}

// netURL is u as a net/url URL (natively it is one; the browser build's
// URL is a copy of it: neturl_js.go).
func netURL(u *URL) *url.URL {
	if u == nil {
		return nil
	}
	v := &url.URL{Scheme: u.Scheme, Opaque: u.Opaque, Host: u.Host, Path: u.Path, RawPath: u.RawPath,
		OmitHost: u.OmitHost, ForceQuery: u.ForceQuery, RawQuery: u.RawQuery, Fragment: u.Fragment,
		RawFragment: u.RawFragment}
	if u.User != nil {
		v.User = url.User(u.User.Username())
		if p, ok := u.User.Password(); ok {
			v.User = url.UserPassword(u.User.Username(), p)
		}
	}
	return v
}

// ownURL is v as a URL of this package.
func ownURL(v *url.URL) *URL {
	u := &URL{Scheme: v.Scheme, Opaque: v.Opaque, Host: v.Host, Path: v.Path, RawPath: v.RawPath,
		OmitHost: v.OmitHost, ForceQuery: v.ForceQuery, RawQuery: v.RawQuery, Fragment: v.Fragment,
		RawFragment: v.RawFragment}
	if v.User != nil {
		u.User = User(v.User.Username())
		if p, ok := v.User.Password(); ok {
			u.User = UserPassword(v.User.Username(), p)
		}
	}
	return u
}

// urlSamples are URLs of every shape url.Parse reads, for the browser
// build's copy of net/url's URL methods (TestURLAgreesWithNetURL).
var urlSamples = append([]string{
	"http://a/b/c/d;p?q", "g:h", "g", "./g", "g/", "/g", "//g", "?y", "g?y", "#s", "g#s", "g?y#s", ";x", "g;x",
	"", ".", "./", "..", "../", "../g", "../..", "../../", "../../g", "../../../g", "/./g", "/../g", "g.", ".g",
	"g..", "..g", "./../g", "./g/.", "g/./h", "g/../h", "g;x=1/./y", "g;x=1/../y", "http:g", "mailto:a@b?x",
	"https://u:p%20w@h.example:8443/a%2Fb/c%zz?q=1#f%23g", "wss://h/a b/ü?ä#ö", "//u@h", "http://[fe80::1%25en0]:8/",
	"http://h/*", "*", "http:/p", "http:p", "a:b:c", "http://h/%41", "http://x@y:z@h/", "http://h/#", "http://h/?",
	"http://:80/", "http://h:/", "http://ü.example/", "./a:b", "http://h/a/b/../../..", "http://h?q#f",
}, samples...)

// TestURLAgreesWithNetURL: the URL methods the SDK uses give net/url's
// answers (natively trivially; in the browser build, under make wasm-unit,
// for the copy in neturl_js.go).
func TestURLAgreesWithNetURL(t *testing.T) {
	var parsed []*url.URL
	for _, raw := range urlSamples {
		if v, err := url.Parse(raw); err == nil {
			parsed = append(parsed, v)
		}
	}
	for _, v := range parsed {
		u := ownURL(v)
		if u.String() != v.String() || u.Redacted() != v.Redacted() || u.Hostname() != v.Hostname() ||
			u.Port() != v.Port() || u.EscapedPath() != v.EscapedPath() || u.EscapedFragment() != v.EscapedFragment() {
			t.Errorf("%q: own %q %q %q %q %q %q, net/url %q %q %q %q %q %q", v, u.String(), u.Redacted(), u.Hostname(),
				u.Port(), u.EscapedPath(), u.EscapedFragment(), v.String(), v.Redacted(), v.Hostname(), v.Port(),
				v.EscapedPath(), v.EscapedFragment())
		}
		for _, r := range parsed {
			if got, want := u.ResolveReference(ownURL(r)), v.ResolveReference(r); !reflect.DeepEqual(netURL(got), want) {
				t.Errorf("%q.ResolveReference(%q) = %#v, net/url: %#v", v, r, got, want)
			}
		}
	}
	for _, s := range urlSamples {
		if got, want := QueryEscape(s), url.QueryEscape(s); got != want {
			t.Errorf("QueryEscape(%q) = %q, net/url: %q", s, got, want)
		}
		got, err := QueryUnescape(s)
		want, werr := url.QueryUnescape(s)
		if got != want || (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
			t.Errorf("QueryUnescape(%q) = %q, %v; net/url: %q, %v", s, got, err, want, werr)
		}
		got, err = PathUnescape(s)
		want, werr = url.PathUnescape(s)
		if got != want || (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
			t.Errorf("PathUnescape(%q) = %q, %v; net/url: %q, %v", s, got, err, want, werr)
		}
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
