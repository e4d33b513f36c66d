package transport

import "time"

// parseHTTPDate parses an HTTP date (RFC 9110, 5.6.7) in the three formats
// a recipient must accept, GMT only: IMF-fixdate "Sun, 06 Nov 1994 08:49:37
// GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6
// 08:49:37 1994". It accepts a subset of what time.Parse accepts with those
// layouts (exact case, two-digit fields) and gives the same instant
// (httpdate_test.go); the browser build uses it so that time.Parse (62 kB
// of the bundle) is not linked.
func parseHTTPDate(v string) (time.Time, bool) {
	var year, month, day, clock int
	switch {
	case len(v) == 29 && v[3] == ',': // IMF-fixdate
		if !weekday(v[:3], false) || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' || v[16] != ' ' || v[25:] != " GMT" {
			return time.Time{}, false
		}
		day, month, year, clock = num(v[5:7]), monthOf(v[8:11]), num(v[12:16]), 17
	case len(v) == 24 && v[3] == ' ': // asctime
		if !weekday(v[:3], false) || v[7] != ' ' || v[10] != ' ' || v[19] != ' ' {
			return time.Time{}, false
		}
		d := v[8:10]
		if d[0] == ' ' {
			d = "0" + d[1:]
		}
		day, month, year, clock = num(d), monthOf(v[4:7]), num(v[20:24]), 11
	default: // RFC 850: a long weekday name
		i := 0
		for i < len(v) && v[i] != ',' {
			i++
		}
		if i == len(v) || !weekday(v[:i], true) {
			return time.Time{}, false
		}
		r := v[i:]
		if len(r) != 24 || r[1] != ' ' || r[4] != '-' || r[8] != '-' || r[11] != ' ' || r[20:] != " GMT" {
			return time.Time{}, false
		}
		day, month, year = num(r[2:4]), monthOf(r[5:8]), num(r[9:11])
		if year >= 69 {
			year += 1900
		} else if year >= 0 {
			year += 2000
		}
		v, clock = r, 12
	}
	c := v[clock : clock+8]
	if c[2] != ':' || c[5] != ':' {
		return time.Time{}, false
	}
	h, m, s := num(c[:2]), num(c[3:5]), num(c[6:8])
	if year < 0 || month < 1 || day < 1 || day > daysIn(time.Month(month), year) || h < 0 || h > 23 ||
		m < 0 || m > 59 || s < 0 || s > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, h, m, s, 0, time.UTC), true
}

// num reads a run of ASCII digits; -1 if there is anything else.
func num(s string) int {
	if s == "" {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func weekday(s string, long bool) bool {
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := d.String()
		if !long {
			name = name[:3]
		}
		if s == name {
			return true
		}
	}
	return false
}

// monthOf returns 1 to 12 for "Jan" to "Dec", else -1.
func monthOf(s string) int {
	for m := time.January; m <= time.December; m++ {
		if s == m.String()[:3] {
			return int(m)
		}
	}
	return -1
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
