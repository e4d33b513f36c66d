//go:build js

package transport

import "github.com/tether-sdk/tether/internal/urlx"

// Target is a server address after the URL rules: the WebSocket URL and the
// equivalent HTTP URL the fallback transports use.
type Target struct {
	WS     *URL   // ws:// or wss://, fragment removed
	HTTP   *URL   // the same with http:// or https://
	Secure bool   // wss / https
	Host   string // host name or IP, without brackets or port
	Port   string // explicit or default port ("80" or "443")
}

// URL is the browser build's net/url URL: the same fields, and the methods
// the SDK uses. The browser build links no net/url (it would bring fmt, os
// and net/netip into the bundle, about 45 kB of gzip); internal/urlx holds
// a copy of what it needs, held to net/url by its tests.
type URL struct {
	Scheme      string
	Opaque      string    // encoded opaque data
	User        *Userinfo // username and password information
	Host        string    // host or host:port
	Path        string    // path (relative paths may omit leading slash)
	RawPath     string    // encoded path hint (see EscapedPath method)
	OmitHost    bool      // do not emit empty host (authority)
	ForceQuery  bool      // append a query ('?') even if RawQuery is empty
	RawQuery    string    // encoded query values, without '?'
	Fragment    string    // fragment for references, without '#'
	RawFragment string    // encoded fragment hint (see EscapedFragment method)
}

// Userinfo is the browser build's net/url Userinfo: a user name and an
// optional password (internal/urlx's, behind the methods the SDK uses).
type Userinfo struct{ v urlx.Userinfo }

// Username returns the user name; "" for a nil u.
func (u *Userinfo) Username() string { return u.x().Username() }

// Password returns the password, and whether it is set.
func (u *Userinfo) Password() (string, bool) { return u.x().Password() }

// String returns the encoded userinfo, "username[:password]".
func (u *Userinfo) String() string { return u.x().String() }

func (u *Userinfo) x() *urlx.Userinfo {
	if u == nil {
		return nil
	}
	return &u.v
}

// String reassembles the URL into a valid URL string, as net/url's.
func (u *URL) String() string { return u.x().String() }

// Redacted is String with the password replaced by "xxxxx".
func (u *URL) Redacted() string {
	if u == nil {
		return ""
	}
	return u.x().Redacted()
}

// Hostname returns the host without a port or IPv6 brackets.
func (u *URL) Hostname() string { return u.x().Hostname() }

// Port returns the port of the host, without the colon; "" if there is none.
func (u *URL) Port() string { return u.x().Port() }

// EscapedPath returns the escaped form of the path, as net/url's.
func (u *URL) EscapedPath() string { return u.x().EscapedPath() }

// x is u as internal/urlx's URL, which has the methods' code.
func (u *URL) x() *urlx.URL {
	return &urlx.URL{Scheme: u.Scheme, Opaque: u.Opaque, User: u.User.x(), Host: u.Host, Path: u.Path,
		RawPath: u.RawPath, OmitHost: u.OmitHost, ForceQuery: u.ForceQuery, RawQuery: u.RawQuery,
		Fragment: u.Fragment, RawFragment: u.RawFragment}
}

// targetURL is the type of a Target's URLs (net/url's URL natively).
type targetURL = URL

// targetURLOf is v as a Target's URL.
func targetURLOf(v *urlx.URL) *URL {
	u := &URL{Scheme: v.Scheme, Opaque: v.Opaque, Host: v.Host, Path: v.Path, RawPath: v.RawPath,
		OmitHost: v.OmitHost, ForceQuery: v.ForceQuery, RawQuery: v.RawQuery, Fragment: v.Fragment,
		RawFragment: v.RawFragment}
	if v.User != nil {
		u.User = &Userinfo{v: *v.User}
	}
	return u
}
