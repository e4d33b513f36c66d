package server

import (
	"net/netip"
	"testing"
	"time"
)

// The per-address table forgets addresses that hold no session once their
// bucket has refilled: a stream of one-shot addresses (a scan, a botnet)
// does not grow it without bound.
func TestAdmissionForgetsIdleAddresses(t *testing.T) {
	o := (&Options{}).withDefaults()
	ad := newAdmission(&o)
	now := time.Unix(1_000_000, 0)
	for i := range 10_000 {
		key := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32)
		if ok, _ := ad.admit(key, now); !ok {
			t.Fatalf("address %d refused on its first session", i)
		}
		ad.leave(key)
	}
	if n := ad.tracked(); n != 10_000 {
		t.Fatalf("tracked %d addresses within the sweep interval, want 10000", n)
	}
	held := netip.MustParsePrefix("192.0.2.1/32")
	if ok, _ := ad.admit(held, now); !ok {
		t.Fatal("held address refused")
	}
	// Two minutes on, every idle address's bucket is full again.
	ad.admit(netip.MustParsePrefix("192.0.2.2/32"), now.Add(2*time.Minute))
	if n := ad.tracked(); n != 2 {
		t.Fatalf("after a sweep: tracked %d addresses, want 2 (the one holding a session, the new one)", n)
	}
}
