package urlx

import (
	"net/netip"
	"testing"
)

var ipSamples = []string{
	"", "1.2.3.4", "127.0.0.1", "127.255.255.255", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3",
	"1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4%eth0", "::", "::1", "::1%eth0", "::1%", "%eth0", "::2",
	"fe80::1%en0", "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.0.0.1", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9",
	"1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7", "1::2::3", "12345::", "ABCD:ef01::", "1:2:3:4:5:6:1.2.3.4",
	"1:2:3:4:5:1.2.3.4", "::1.2.3.4", "1::1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", ":1", "1:", "::1:", "g::", "localhost",
	"0:0:0:0:0:0:0:1", "::0:1", "::ffff:127.0.0.1%x", "1:2:3:4:5:6:7:8::", "::01.2.3.4", "[::1]", "1.2.3.4x",
}

// checkIP fails t unless ParseIP(s) agrees with netip.ParseAddr, and IsLoopback
// with netip's Unmap().IsLoopback().
func checkIP(t testing.TB, s string) {
	t.Helper()
	got, ok := ParseIP(s)
	want, err := netip.ParseAddr(s)
	if ok != (err == nil) {
		t.Fatalf("ParseIP(%q) ok = %v, netip.ParseAddr error %v", s, ok, err)
	}
	if !ok {
		return
	}
	b := want.As16()
	if want.Is4() {
		b[10], b[11] = 0, 0 // As16 maps an IPv4 address; ParseIP leaves it in the last four bytes
	}
	if got.B != b || got.Is4 != want.Is4() || got.Zone != want.Zone() {
		t.Fatalf("ParseIP(%q) = %+v, netip.ParseAddr = %v", s, got, want)
	}
	if got.IsLoopback() != want.Unmap().IsLoopback() {
		t.Fatalf("ParseIP(%q).IsLoopback() = %v, netip says %v", s, got.IsLoopback(), !got.IsLoopback())
	}
}

func TestParseIP(t *testing.T) {
	for _, s := range ipSamples {
		checkIP(t, s)
	}
}

func FuzzParseIPAgreesWithNetip(f *testing.F) {
	for _, s := range ipSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkIP(t, s) })
}
