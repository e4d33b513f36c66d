package urlx

// IP is an address as net/netip.ParseAddr reads it: 16 bytes (an IPv4
// address in the last four, Is4 set), and an IPv6 zone.
type IP struct {
	B    [16]byte
	Is4  bool
	Zone string
}

// ParseIP accepts exactly what netip.ParseAddr accepts and returns the same
// address (ip_test.go holds it to that, and FuzzParseIPAgreesWithNetip). It
// exists so that the browser build links no net/netip parser (net/url's
// import of net/netip still runs its init, and with it unique's maps).
func ParseIP(s string) (IP, bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '.':
			var ip IP
			ip.Is4 = true
			return ip, parseV4(s, ip.B[12:])
		case ':':
			return parseV6(s)
		case '%':
			return IP{}, false
		}
	}
	return IP{}, false
}

// IsLoopback reports whether ip is in 127.0.0.0/8 (also as an IPv4-mapped
// IPv6 address) or is ::1, as netip's Unmap().IsLoopback().
func (ip IP) IsLoopback() bool {
	if ip.Is4 || ip.B[10] == 0xff && ip.B[11] == 0xff && zero(ip.B[:10]) {
		return ip.B[12] == 127
	}
	return ip.B[15] == 1 && zero(ip.B[:15])
}

func zero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// parseV4 reads four dotted decimal octets (no leading zeros) into out.
func parseV4(s string, out []byte) bool {
	val, pos, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if digits == 1 && val == 0 {
				return false
			}
			val = val*10 + int(c-'0')
			digits++
			if val > 255 {
				return false
			}
		case c == '.':
			if i == 0 || i == len(s)-1 || s[i-1] == '.' || pos == 3 {
				return false
			}
			out[pos] = byte(val)
			pos++
			val, digits = 0, 0
		default:
			return false
		}
	}
	if pos < 3 {
		return false
	}
	out[3] = byte(val)
	return true
}

// parseV6 follows netip's parseIPv6: hex groups of at most four digits, one
// "::", an IPv4 address in the last four bytes, a non-empty zone after '%'.
func parseV6(s string) (IP, bool) {
	var ip IP
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			s, ip.Zone = s[:i], s[i+1:]
			if ip.Zone == "" {
				return IP{}, false
			}
			break
		}
	}
	ellipsis := -1
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis = 0
		s = s[2:]
		if s == "" {
			return ip, true
		}
	}
	i := 0
	for i < 16 {
		off, acc := 0, 0
		for ; off < len(s); off++ {
			d := hexDigit(s[off])
			if d < 0 {
				break
			}
			if off > 3 {
				return IP{}, false
			}
			acc = acc<<4 + d
		}
		if off == 0 {
			return IP{}, false
		}
		if off < len(s) && s[off] == '.' {
			if ellipsis < 0 && i != 12 || i+4 > 16 || !parseV4(s, ip.B[i:i+4]) {
				return IP{}, false
			}
			s = ""
			i += 4
			break
		}
		ip.B[i], ip.B[i+1] = byte(acc>>8), byte(acc)
		i += 2
		s = s[off:]
		if s == "" {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return IP{}, false
		}
		s = s[1:]
		if s[0] == ':' {
			if ellipsis >= 0 {
				return IP{}, false
			}
			ellipsis = i
			s = s[1:]
			if s == "" {
				break
			}
		}
	}
	if s != "" {
		return IP{}, false
	}
	if i < 16 {
		if ellipsis < 0 {
			return IP{}, false
		}
		n := 16 - i
		for j := i - 1; j >= ellipsis; j-- {
			ip.B[j+n] = ip.B[j]
		}
		clear(ip.B[ellipsis : ellipsis+n])
	} else if ellipsis >= 0 {
		return IP{}, false
	}
	return ip, true
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}
