//go:build !js

package urlx

import "net/url"

// URL is net/url's URL; the browser build has its own copy of it
// (neturl_js.go), without the rest of net/url.
type URL = url.URL

// Userinfo is net/url's Userinfo (neturl_js.go in the browser build).
type Userinfo = url.Userinfo

// QueryEscape is url.QueryEscape.
func QueryEscape(s string) string { return url.QueryEscape(s) }

// QueryUnescape is url.QueryUnescape.
func QueryUnescape(s string) (string, error) { return url.QueryUnescape(s) }

// PathUnescape is url.PathUnescape.
func PathUnescape(s string) (string, error) { return url.PathUnescape(s) }

// User is url.User.
func User(username string) *Userinfo { return url.User(username) }

// UserPassword is url.UserPassword.
func UserPassword(username, password string) *Userinfo { return url.UserPassword(username, password) }
