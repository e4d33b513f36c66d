package transport

import (
	"math/rand/v2"
	"testing"
	"time"
)

// parseHTTPDate (the browser build's) agrees with the time.Parse layouts
// used natively: on every date written in the three formats, and on any
// input it accepts.

var httpLayouts = []string{"Mon, 02 Jan 2006 15:04:05 GMT", "Monday, 02-Jan-06 15:04:05 GMT", time.ANSIC}

func checkHTTPDate(t testing.TB, v string) bool {
	t.Helper()
	got, ok := parseHTTPDate(v)
	want, err := parseHTTPTime(v)
	if ok && err != nil {
		t.Fatalf("parseHTTPDate(%q) = %v, which time.Parse refuses: %v", v, got, err)
	}
	if ok && !got.Equal(want) {
		t.Fatalf("parseHTTPDate(%q) = %v, time.Parse: %v", v, got, want)
	}
	return ok
}

func TestHTTPDateAgreesWithTimeParse(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		// 1970 to 2068: the range RFC 850's two-digit years map back to.
		at := time.Unix(r.Int64N(99*365*24*3600), 0).UTC()
		for _, layout := range httpLayouts {
			v := at.Format(layout)
			if !checkHTTPDate(t, v) {
				t.Fatalf("parseHTTPDate(%q) refuses a date in its own format", v)
			}
		}
	}
	for _, v := range []string{
		"", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
		"Sun, 06 Nov 1994 08:60:37 GMT", "Sun, 06 Nov 1994 08:49:60 GMT", "Sun, 6 Nov 1994 08:49:37 GMT",
		"sun, 06 Nov 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 PST", "Sundae, 06-Nov-94 08:49:37 GMT", "Sun Nov 31 08:49:37 1994",
		"Sun Nov  6 08:49:37 1994", "Sun Nov 06 08:49:37 1994", "Sun Feb 29 08:49:37 1996", "Sun Feb 29 08:49:37 1995",
		"Sun, 06 Nov 1994 08:49:3x GMT", "Sun, 06 Nov -994 08:49:37 GMT", "Sunday, 29-Feb-00 00:00:00 GMT",
	} {
		checkHTTPDate(t, v)
	}
	if _, ok := parseHTTPDate("Sun, 31 Feb 1994 08:49:37 GMT"); ok {
		t.Error("31 February parses")
	}
}

// FuzzHTTPDate: what parseHTTPDate accepts, time.Parse accepts as the same
// instant; nothing panics.
func FuzzHTTPDate(f *testing.F) {
	for _, layout := range httpLayouts {
		f.Add(time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC).Format(layout))
	}
	f.Fuzz(func(t *testing.T, v string) { checkHTTPDate(t, v) })
}
