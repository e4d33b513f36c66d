//go:build js

package transport

// Header is a set of HTTP header fields, keyed by canonical name (as
// net/http's Header, which is what it is natively). The browser build
// defines its own type to keep net/http (and net/textproto, which imports
// net) out of the bundle.
type Header map[string][]string

// Get returns the first value for key ("" when there is none).
func (h Header) Get(key string) string {
	if v := h[CanonicalHeaderKey(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set replaces the values for key.
func (h Header) Set(key, value string) { h[CanonicalHeaderKey(key)] = []string{value} }

// Add adds value to key's values.
func (h Header) Add(key, value string) {
	k := CanonicalHeaderKey(key)
	h[k] = append(h[k], value)
}

// Values returns key's values.
func (h Header) Values(key string) []string { return h[CanonicalHeaderKey(key)] }

// Del deletes key's values.
func (h Header) Del(key string) { delete(h, CanonicalHeaderKey(key)) }

// Clone returns a copy of h, nil when h is nil.
func (h Header) Clone() Header {
	if h == nil {
		return nil
	}
	c := make(Header, len(h))
	for k, v := range h {
		c[k] = append([]string(nil), v...)
	}
	return c
}

// CanonicalHeaderKey is net/http's CanonicalHeaderKey: "content-type"
// becomes "Content-Type"; a key with a byte that is not a token character
// is returned unchanged.
func CanonicalHeaderKey(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == ':' {
			return s
		}
	}
	b := []byte(s)
	upper := true
	for i, c := range b {
		switch {
		case upper && 'a' <= c && c <= 'z':
			b[i] = c - ('a' - 'A')
		case !upper && 'A' <= c && c <= 'Z':
			b[i] = c + ('a' - 'A')
		}
		upper = c == '-'
	}
	return string(b)
}
