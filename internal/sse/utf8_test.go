package sse

import "testing"

func TestDecodeString(t *testing.T) {
	const r = "\uFFFD"
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"h\u00e9llo \U0001F600", "h\u00e9llo \U0001F600"},
		{"\xFF", r},
		{"\xC0\x80", r + r},         // overlong: C0 is never a lead byte
		{"\xC2", r},                 // truncated 2-byte
		{"\xE2\x82", r},             // truncated 3-byte is one maximal subpart
		{"\xE2\x82a", r + "a"},      // ... also before ASCII
		{"\xE0\x80\x80", r + r + r}, // overlong 3-byte: E0 needs A0..BF next
		{"\xED\xA0\x80", r + r + r}, // surrogate: ED needs 80..9F next
		{"\xF0\x9F\x98", r},         // truncated 4-byte
		{"\xF0\x80", r + r},         // F0 needs 90..BF next
		{"\xF4\x90\x80\x80", r + r + r + r},
		{"\xF5", r},
		{"\x80\x80", r + r},
		{"a\xE2\x82\xE2\x82\xACb", "a" + r + "\u20ACb"},
	} {
		if got := decodeString([]byte(tc.in)); got != tc.want {
			t.Errorf("decodeString(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
