// Package urlx parses URLs into net/url's URL without url.Parse, for the
// browser build: url.Parse's *url.Error formats with fmt, and fmt pulls
// reflect and about 0.14 MB of gzip into the WebAssembly bundle. In the
// browser build its URL is a copy of net/url's (neturl_js.go), so that
// net/url, and with it fmt, os and net/netip, stay out of the bundle;
// natively it is net/url's.
//
// Parse accepts a subset of what url.Parse accepts (the shapes of WebSocket
// and HTTP URLs: scheme, userinfo, a host of letters, digits, '-', '.', '_',
// '~' or non-ASCII bytes, or a bracketed IPv6 address without zone, a
// numeric port, path, query and fragment; relative references) and returns
// exactly url.Parse's URL for it (urlx_test.go holds it to that, and
// FuzzParseAgreesWithNetURL). Anything else is an *Error, where url.Parse
// might have accepted it.
package urlx

import (
	"strings"
)

// Error says why a URL was refused. It matches nothing with errors.Is.
type Error struct {
	URL    string
	Reason string
}

// Error returns `parse "<URL>": <reason>`, as url.Error's wording.
func (e *Error) Error() string { return `parse "` + e.URL + `": ` + e.Reason }

// Parse parses raw as url.Parse does, for the subset of the package doc.
func Parse(raw string) (*URL, error) {
	fail := func(reason string) (*URL, error) { return nil, &Error{URL: raw, Reason: reason} }
	for i := 0; i < len(raw); i++ {
		if raw[i] < 0x20 || raw[i] == 0x7f {
			return fail("invalid control character in URL")
		}
	}
	u := &URL{}
	rest, frag, hasFrag := strings.Cut(raw, "#")
	if hasFrag {
		f, err := PathUnescape(frag)
		if err != nil {
			return fail("invalid escape in the fragment")
		}
		u.Fragment, u.RawFragment = f, frag
		if u.EscapedFragment() == frag {
			if v := (URL{Fragment: f}); v.EscapedFragment() == frag {
				u.RawFragment = ""
			}
		}
	}
	if rest == "*" {
		return fail("unsupported URL *")
	}
	scheme, rest, ok := cutScheme(rest)
	if !ok {
		return fail("missing protocol scheme")
	}
	u.Scheme = strings.ToLower(scheme)
	if strings.HasSuffix(rest, "?") && strings.Count(rest, "?") == 1 {
		u.ForceQuery = true
		rest = rest[:len(rest)-1]
	} else {
		rest, u.RawQuery, _ = strings.Cut(rest, "?")
	}
	if !strings.HasPrefix(rest, "/") {
		if u.Scheme != "" {
			u.Opaque = rest // "mailto:x": no host; the callers refuse it
			return u, nil
		}
		if seg, _, _ := strings.Cut(rest, "/"); strings.Contains(seg, ":") {
			return fail("first path segment in URL cannot contain colon")
		}
	}
	if (u.Scheme != "" || !strings.HasPrefix(rest, "///")) && strings.HasPrefix(rest, "//") {
		authority, path := rest[2:], ""
		if i := strings.IndexByte(authority, '/'); i >= 0 {
			authority, path = authority[:i], authority[i:]
		}
		if reason := parseAuthority(u, authority); reason != "" {
			return fail(reason)
		}
		rest = path
	} else if u.Scheme != "" && strings.HasPrefix(rest, "/") {
		u.OmitHost = true // "scheme:/path", as url.Parse marks it
	}
	p, err := PathUnescape(rest)
	if err != nil {
		return fail("invalid escape in the path")
	}
	u.Path, u.RawPath = p, rest
	if v := (URL{Path: p}); p != "*" && v.EscapedPath() == rest { // EscapedPath keeps a "*" path as it is
		u.RawPath = ""
	}
	return u, nil
}

// cutScheme splits off the scheme as url.Parse's getScheme; ok is false for
// a URL that starts with ':'.
func cutScheme(raw string) (scheme, rest string, ok bool) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.':
			if i == 0 {
				return "", raw, true
			}
		case c == ':':
			if i == 0 {
				return "", "", false
			}
			return raw[:i], raw[i+1:], true
		default:
			return "", raw, true
		}
	}
	return "", raw, true
}

// parseAuthority sets u's User and Host from authority, or says what is
// wrong.
func parseAuthority(u *URL, authority string) string {
	host := authority
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		userinfo := authority[:i]
		host = authority[i+1:]
		for j := 0; j < len(userinfo); j++ {
			if !userinfoByte(userinfo[j]) {
				return "invalid userinfo"
			}
		}
		name, pass, hasPass := strings.Cut(userinfo, ":")
		n, err := PathUnescape(name)
		if err != nil {
			return "invalid escape in the user name"
		}
		if !hasPass {
			u.User = User(n)
		} else {
			p, err := PathUnescape(pass)
			if err != nil {
				return "invalid escape in the password"
			}
			u.User = UserPassword(n, p)
		}
	}
	name, port := host, ""
	if strings.HasPrefix(host, "[") {
		end := strings.LastIndexByte(host, ']')
		if end < 0 {
			return "missing ']' in host"
		}
		ip, ok := ParseIP(host[1:end])
		if !ok || ip.Is4 || ip.Zone != "" {
			return "the host in brackets is not an IPv6 address (zones are not supported)"
		}
		name, port = "", host[end+1:]
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
		name, port = host[:i], host[i:]
	}
	for j := 0; j < len(name); j++ {
		if !hostByte(name[j]) {
			return "invalid character in host name"
		}
	}
	if port != "" {
		if port[0] != ':' {
			return "invalid port after the host"
		}
		for j := 1; j < len(port); j++ {
			if port[j] < '0' || port[j] > '9' {
				return "invalid port " + port[1:] + " after host"
			}
		}
	}
	u.Host = host
	return ""
}

func hostByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || c >= 0x80
}

// userinfoByte: RFC 3986's unreserved and sub-delims, ':' and '%'.
func userinfoByte(c byte) bool {
	return hostByte(c) && c < 0x80 || strings.IndexByte("!$&'()*+,;=:%", c) >= 0
}
