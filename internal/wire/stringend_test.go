package wire

import "testing"

// TestStringEnd: escaped quotes and runs of backslashes before a quote.
func TestStringEnd(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{`"" x`, 2},
		{`"abc",1`, 5},
		{`"a\"b"]`, 6},
		{`"a\\"]`, 5},
		{`"a\\\"b"]`, 8},
		{`"\\\\"`, 6},
		{`"open`, 5},
		{`"open\"`, 7},
	} {
		if got := stringEnd([]byte(c.in), 0); got != c.want {
			t.Errorf("stringEnd(%s) = %d, want %d", c.in, got, c.want)
		}
	}
}
