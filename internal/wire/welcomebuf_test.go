package wire

import "testing"

// TestWelcomeBuf: the welcome's optional buf (the server's send window)
// round-trips, is absent when zero, and a negative one is malformed.
func TestWelcomeBuf(t *testing.T) {
	w := &Welcome{V: 1, SID: "s", Ack: 0, Max: 1 << 20, Buf: 4 << 20, Transports: []string{}}
	b, err := AppendJSON(nil, &Frame{Kind: KindWelcome, Welcome: w})
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseJSON(b, 1<<20)
	if err != nil {
		t.Fatalf("ParseJSON(%s): %v", b, err)
	}
	if f.Welcome.Buf != 4<<20 {
		t.Fatalf("buf = %d after a round trip of %s", f.Welcome.Buf, b)
	}
	w.Buf = 0
	if b, _ = AppendJSON(nil, &Frame{Kind: KindWelcome, Welcome: w}); contains(b, `"buf"`) {
		t.Fatalf("a zero buf is written: %s", b)
	}
	bad := []byte(`["w",{"v":1,"sid":"s","resumed":false,"ack":0,"hb":1,"timeout":2,"ttl":3,"max":4,"poll":5,"buf":-1,"transports":[]}]`)
	if _, err := ParseJSON(bad, 1<<20); err == nil {
		t.Fatal("a negative buf parsed")
	}
}

func contains(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return true
		}
	}
	return false
}
