package wire

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestWSRoundTrip(t *testing.T) {
	cases := append(fixtures(),
		namedFrame{"text/max-seq", Frame{Kind: KindText, Seq: 1<<64 - 1, Data: []byte("x")}},
		namedFrame{"binary/max-seq", Frame{Kind: KindBinary, Seq: 1<<64 - 1, Data: []byte{1}}},
		namedFrame{"ack/max", Frame{Kind: KindAck, Seq: 1<<64 - 1}},
		namedFrame{"ping/max", Frame{Kind: KindPing, Seq: 1<<64 - 1}},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prefix := []byte("prefix")
			bin, out, err := AppendWS(prefix, &c.f)
			if err != nil {
				t.Fatalf("AppendWS: %v", err)
			}
			if !bytes.HasPrefix(out, []byte("prefix")) {
				t.Fatalf("AppendWS did not append to dst: %q", out)
			}
			msg := out[len("prefix"):]
			if bin != (c.f.Kind == KindBinary) {
				t.Fatalf("AppendWS binary = %v for kind %v", bin, c.f.Kind)
			}
			if msg[0] != byte(c.f.Kind) {
				t.Fatalf("message %q does not start with the kind %q", msg, c.f.Kind)
			}
			got, err := ParseWS(bin, msg, 1<<20)
			if err != nil {
				t.Fatalf("ParseWS(%q): %v", msg, err)
			}
			if !sameFrame(got, c.f) {
				t.Fatalf("ParseWS(AppendWS(f)) = %+v, want %+v", got, c.f)
			}
		})
	}
}

func TestWSGolden(t *testing.T) {
	tests := []struct {
		f   Frame
		bin bool
		msg string
	}{
		{Frame{Kind: KindText, Seq: 12, Data: []byte("hello world")}, false, "m12 hello world"},
		{Frame{Kind: KindText, Seq: 1, Data: nil}, false, "m1 "},
		{Frame{Kind: KindText, Seq: 2, Data: []byte("line\n\"two\"")}, false, "m2 line\n\"two\""},
		{Frame{Kind: KindBinary, Seq: 13, Data: []byte{0x00, 0xff, 0x10}}, true, "b13 \x00\xff\x10"},
		{Frame{Kind: KindAck, Seq: 12}, false, "a12"},
		{Frame{Kind: KindAck, Seq: 0}, false, "a0"},
		{Frame{Kind: KindPing, Seq: 12}, false, "p12"},
		{Frame{Kind: KindPong, Seq: 12}, false, "q12"},
		{Frame{Kind: KindUpgrade, Seq: 12}, false, "u12"},
		{Frame{Kind: KindSuperseded}, false, "s"},
		{Frame{Kind: KindHello, Hello: &Hello{V: 1}}, false, `h{"v":1}`},
		{Frame{Kind: KindHello, Hello: &Hello{V: 1, SID: testSID, Key: testKey, Ack: 4}}, false,
			`h{"v":1,"sid":"q3Vb0xWk7c9rJm2TtQH1Aw","key":"Zp4rD0nYc1mE7uVh9sKxLg","ack":4}`},
		{Frame{Kind: KindHello, Hello: &Hello{V: 1, SID: testSID, Key: testKey, Ack: 4, Probe: true}}, false,
			`h{"v":1,"sid":"q3Vb0xWk7c9rJm2TtQH1Aw","key":"Zp4rD0nYc1mE7uVh9sKxLg","ack":4,"probe":true}`},
		{Frame{Kind: KindWelcome, Welcome: newWelcome()}, false,
			`w{"v":1,"sid":"q3Vb0xWk7c9rJm2TtQH1Aw","key":"Zp4rD0nYc1mE7uVh9sKxLg","resumed":false,"ack":0,` +
				`"hb":25000,"timeout":45000,"ttl":120000,"max":1048576,"poll":25000,"transports":["websocket","sse","longpoll"]}`},
		{Frame{Kind: KindWelcome, Welcome: &Welcome{V: 1, SID: "S", Resumed: true, Ack: 3, HB: 1000}}, false,
			`w{"v":1,"sid":"S","resumed":true,"ack":3,"hb":1000,"timeout":0,"ttl":0,"max":0,"poll":0,"transports":[]}`},
		{Frame{Kind: KindClose, Close: &Close{Code: 1000, Reason: "bye"}}, false, `c{"code":1000,"reason":"bye"}`},
		{Frame{Kind: KindClose, Close: &Close{Code: 4001}}, false, `c{"code":4001,"reason":""}`},
		{Frame{Kind: KindError, Error: &Error{Code: CodeSessionNotFound, Message: "no such session", Status: 410}}, false,
			`e{"code":"session_not_found","message":"no such session","status":410}`},
		{Frame{Kind: KindError, Error: &Error{Code: CodeUnsupportedVersion, Message: "unsupported version 2", Status: 400, Versions: []int{1}}}, false,
			`e{"code":"unsupported_version","message":"unsupported version 2","status":400,"versions":[1]}`},
	}
	for _, tt := range tests {
		bin, out, err := AppendWS(nil, &tt.f)
		if err != nil || bin != tt.bin || string(out) != tt.msg {
			t.Errorf("AppendWS(%v) = %v, %q, %v; want %v, %q", tt.f.Kind, bin, out, err, tt.bin, tt.msg)
		}
		if tt.f.Kind == KindText || tt.f.Kind == KindBinary {
			hdr := AppendDataHeader(nil, tt.f.Kind, tt.f.Seq)
			if want := tt.msg[:len(tt.msg)-len(tt.f.Data)]; string(hdr) != want {
				t.Errorf("AppendDataHeader(%v, %d) = %q, want %q", tt.f.Kind, tt.f.Seq, hdr, want)
			}
		}
	}
}

func TestParseWSMalformed(t *testing.T) {
	tests := []struct {
		bin    bool
		msg    string
		reason string // part of the error message
	}{
		{false, "", "empty message"},
		{true, "", "empty message"},
		{false, "x", "unknown frame kind 'x'"},
		{false, "\x00", "unknown frame kind Kind(0x00)"},
		{false, "M1 x", "unknown frame kind 'M'"},
		{false, " m1 x", "unknown frame kind ' '"},
		{false, "m", "missing space"},
		{false, "m12", "missing space"},
		{false, "m12hello", "digits followed by a space"},
		{false, "m hello", "number is missing"},
		{false, "m012 x", "leading zero"},
		{false, "m00 x", "leading zero"},
		{false, "m0 x", "seq is 0"},
		{false, "m+1 x", "digits followed by a space"},
		{false, "m-1 x", "digits followed by a space"},
		{false, "m1\tx", "digits followed by a space"},
		{false, "m18446744073709551616 x", "does not fit"},
		{false, "m999999999999999999999999999999 x", "does not fit"},
		{false, "m1 \xff", "not valid UTF-8"},
		{false, "m1 ok\xed\xa0\x80", "not valid UTF-8"}, // encoded surrogate
		{false, "b1 x", "binary data frame in a text message"},
		{true, "m1 x", "binary message must be a binary data frame, got kind 'm'"},
		{true, "a1", "binary message must be a binary data frame"},
		{true, "s", "binary message must be a binary data frame"},
		{true, "b1", "missing space"},
		{true, "b0 x", "seq is 0"},
		{true, "b01 x", "leading zero"},
		{true, "bx x", "digits followed by a space"},
		{false, "a", "number is missing"},
		{false, "a01", "leading zero"},
		{false, "a1 ", "not a digit"},
		{false, "a-1", "not a digit"},
		{false, "a1.0", "not a digit"},
		{false, "a18446744073709551616", "does not fit"},
		{false, "p", "ping frame: number is missing"},
		{false, "qx", "pong frame"},
		{false, "u ", "upgrade frame"},
		{false, "s ", "unexpected bytes"},
		{false, "ss", "unexpected bytes"},
		{false, "h", "expected a JSON object"},
		{false, "h ", "expected a JSON object"},
		{false, `h {"v":1}`, "expected a JSON object"},
		{false, `h{"v":1} `, "expected a JSON object"},
		{false, "h[1]", "expected a JSON object"},
		{false, "hnull", "expected a JSON object"},
		{false, `h{"v":1`, "expected a JSON object"},
		{false, `h{"v":1}}`, "not valid JSON"},
		{false, `h{}`, `"v" is missing`},
		{false, `h{"v":null}`, `"v" is missing`},
		{false, `h{"v":0}`, `"v" must be a positive integer`},
		{false, `h{"v":-1}`, `"v" must be a positive integer`},
		{false, `h{"v":"1"}`, `"v" has the wrong type`},
		{false, `h{"v":1.5}`, `"v" has the wrong type`},
		{false, `h{"v":1,"ack":-1}`, `"ack" has the wrong type`},
		{false, `h{"v":1,"ack":1e3}`, `"ack" has the wrong type`},
		{false, `h{"v":1,"ack":9007199254740992}`, `"ack" is larger than 2^53-1`},
		{false, `h{"v":1,"probe":"yes"}`, `"probe" has the wrong type`},
		{false, "h{\"v\":1,\"sid\":\"\xff\"}", "not valid UTF-8"},
		{false, `w{"v":1}`, `"sid" is missing`},
		{false, `w{"v":1,"sid":"S","resumed":false,"ack":0,"hb":1,"timeout":1,"ttl":1,"max":1,"poll":1}`, `"transports" is missing`},
		{false, `w{"v":1,"sid":"S","resumed":false,"ack":0,"hb":1,"timeout":1,"ttl":1,"max":1,"poll":1,"transports":null}`, `"transports" is missing`},
		{false, `w{"v":1,"sid":"","resumed":false,"ack":0,"hb":1,"timeout":1,"ttl":1,"max":1,"poll":1,"transports":[]}`, `"sid" is empty`},
		{false, `w{"v":1,"sid":"S","resumed":false,"ack":0,"hb":-1,"timeout":1,"ttl":1,"max":1,"poll":1,"transports":[]}`, `"hb" is negative`},
		{false, `w{"v":1,"sid":"S","resumed":false,"ack":0,"hb":1,"timeout":1,"ttl":1,"max":9007199254740992,"poll":1,"transports":[]}`, `"max" is negative or larger`},
		{false, `w{"v":1,"sid":"S","resumed":0,"ack":0,"hb":1,"timeout":1,"ttl":1,"max":1,"poll":1,"transports":[]}`, `"resumed" has the wrong type`},
		{false, `w{"v":1,"sid":"S","resumed":false,"ack":0,"hb":1,"timeout":1,"ttl":1,"max":1,"poll":1,"transports":[1]}`, `has the wrong type`},
		{false, `c{}`, `"code" is missing`},
		{false, `c{"code":999}`, "between 1000 and 4999"},
		{false, `c{"code":5000}`, "between 1000 and 4999"},
		{false, `c{"code":1000.5}`, `"code" has the wrong type`},
		{false, `c{"code":1000,"reason":7}`, `"reason" has the wrong type`},
		{false, `e{}`, `"code" is missing`},
		{false, `e{"code":""}`, `"code" is empty`},
		{false, `e{"code":"x","status":42}`, "not an HTTP status"},
		{false, `e{"code":"x","versions":[0]}`, "positive integers"},
		{false, `e{"code":"x","retry":-5}`, `"retry" is negative`},
	}
	for _, tt := range tests {
		f, err := ParseWS(tt.bin, []byte(tt.msg), 1<<20)
		if err == nil {
			t.Errorf("ParseWS(%v, %q) = %+v, want an error", tt.bin, tt.msg, f)
			continue
		}
		checkFormatError(t, err, ErrMalformed)
		if !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("ParseWS(%v, %q) error %q does not say %q", tt.bin, tt.msg, err, tt.reason)
		}
	}
}

func TestParseWSAccepts(t *testing.T) {
	tests := []struct {
		msg  string
		want Frame
	}{
		// Unknown fields are ignored, and so are the order and spacing of fields.
		{`h{ "ack" : 3 , "v" : 1 , "future" : {"x":[1,2]} }`, Frame{Kind: KindHello, Hello: &Hello{V: 1, Ack: 3}}},
		{`c{"code":4999}`, Frame{Kind: KindClose, Close: &Close{Code: 4999}}},
		{`e{"code":"internal"}`, Frame{Kind: KindError, Error: &Error{Code: CodeInternal}}},
		{`h{"v":1,"sid":"\u0041"}`, Frame{Kind: KindHello, Hello: &Hello{V: 1, SID: "A"}}},
		{"m1 two\nlines", Frame{Kind: KindText, Seq: 1, Data: []byte("two\nlines")}},
		{"m1  leading space", Frame{Kind: KindText, Seq: 1, Data: []byte(" leading space")}},
	}
	for _, tt := range tests {
		got, err := ParseWS(false, []byte(tt.msg), 0)
		if err != nil || !sameFrame(got, tt.want) {
			t.Errorf("ParseWS(%q) = %+v, %v; want %+v", tt.msg, got, err, tt.want)
		}
	}
}

func TestParseWSTooLarge(t *testing.T) {
	for _, bin := range []bool{false, true} {
		kind := "m"
		if bin {
			kind = "b"
		}
		at := []byte(kind + "7 0123456789")
		if f, err := ParseWS(bin, at, 10); err != nil || len(f.Data) != 10 {
			t.Errorf("ParseWS of a payload at the limit = %v, %v", f, err)
		}
		if _, err := ParseWS(bin, at, 0); err != nil {
			t.Errorf("ParseWS with no limit: %v", err)
		}
		over := []byte(kind + "7 0123456789A")
		_, err := ParseWS(bin, over, 10)
		if err == nil {
			t.Fatalf("ParseWS of a payload over the limit succeeded")
		}
		checkFormatError(t, err, ErrTooLarge)
		if !strings.Contains(err.Error(), "payload of 11 bytes is over the limit of 10") {
			t.Errorf("error %q does not give the sizes", err)
		}
	}
	// The limit is checked before the text is: an oversized text is too large, not malformed.
	_, err := ParseWS(false, []byte("m1 \xff\xff\xff"), 2)
	checkFormatError(t, err, ErrTooLarge)
}

func TestParseWSAliases(t *testing.T) {
	msg := []byte("m5 payload")
	f, err := ParseWS(false, msg, 0)
	if err != nil {
		t.Fatal(err)
	}
	msg[3] = 'P'
	if string(f.Data) != "Payload" {
		t.Errorf("Data does not alias the message: %q", f.Data)
	}
}

func TestAppendWSErrors(t *testing.T) {
	tests := []struct {
		name   string
		f      *Frame
		reason string
	}{
		{"nil", nil, "nil frame"},
		{"unknown kind", &Frame{Kind: 'z'}, "unknown kind Kind(0x7a)"},
		{"zero kind", &Frame{}, "unknown kind"},
		{"text seq 0", &Frame{Kind: KindText, Data: []byte("x")}, "seq is 0"},
		{"binary seq 0", &Frame{Kind: KindBinary}, "seq is 0"},
		{"text invalid UTF-8", &Frame{Kind: KindText, Seq: 1, Data: []byte{'a', 0xff}}, "not valid UTF-8"},
		{"hello nil", &Frame{Kind: KindHello}, "Hello is nil"},
		{"hello v 0", &Frame{Kind: KindHello, Hello: &Hello{}}, `"v" must be a positive integer`},
		{"hello ack", &Frame{Kind: KindHello, Hello: &Hello{V: 1, Ack: MaxSafeInt + 1}}, `"ack" is larger`},
		{"hello sid UTF-8", &Frame{Kind: KindHello, Hello: &Hello{V: 1, SID: "\xff"}}, "not valid UTF-8"},
		{"welcome nil", &Frame{Kind: KindWelcome}, "Welcome is nil"},
		{"welcome sid", &Frame{Kind: KindWelcome, Welcome: &Welcome{V: 1}}, `"sid" is empty`},
		{"welcome ttl", &Frame{Kind: KindWelcome, Welcome: &Welcome{V: 1, SID: "S", TTL: -1}}, `"ttl" is negative`},
		{"welcome transports UTF-8", &Frame{Kind: KindWelcome, Welcome: &Welcome{V: 1, SID: "S", Transports: []string{"\xff"}}}, "not valid UTF-8"},
		{"close nil", &Frame{Kind: KindClose}, "Close is nil"},
		{"close code", &Frame{Kind: KindClose, Close: &Close{Code: 999}}, "between 1000 and 4999"},
		{"close reason UTF-8", &Frame{Kind: KindClose, Close: &Close{Code: 1000, Reason: "\xff"}}, "not valid UTF-8"},
		{"error nil", &Frame{Kind: KindError}, "Error is nil"},
		{"error code", &Frame{Kind: KindError, Error: &Error{}}, `"code" is empty`},
		{"error status", &Frame{Kind: KindError, Error: &Error{Code: "x", Status: 1000}}, "not an HTTP status"},
	}
	for _, tt := range tests {
		dst := []byte("keep")
		bin, out, err := AppendWS(dst, tt.f)
		if err == nil {
			t.Errorf("%s: AppendWS = %v, %q, want an error", tt.name, bin, out)
			continue
		}
		checkFormatError(t, err, ErrMalformed)
		if string(out) != "keep" || len(out) != len(dst) {
			t.Errorf("%s: AppendWS changed dst to %q on error", tt.name, out)
		}
		if !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), "cannot encode") {
			t.Errorf("%s: error %q does not say %q", tt.name, err, tt.reason)
		}
	}
}

// TestWSProperty checks ParseWS(AppendWS(f)) == f for random valid frames.
func TestWSProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var buf []byte
	for i := range 5000 {
		f := randomFrame(r, i%2 == 0)
		bin, out, err := AppendWS(buf[:0], &f)
		if err != nil {
			t.Fatalf("AppendWS(%+v): %v", f, err)
		}
		buf = out
		got, err := ParseWS(bin, out, 0)
		if err != nil {
			t.Fatalf("ParseWS(%q): %v", out, err)
		}
		if !sameFrame(got, f) {
			t.Fatalf("ParseWS(AppendWS(f)) = %+v, want %+v", got, f)
		}
	}
}
