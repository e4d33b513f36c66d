package wire

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// Test fixtures and helpers shared by the tests of both encodings.

const (
	testSID = "q3Vb0xWk7c9rJm2TtQH1Aw"
	testKey = "Zp4rD0nYc1mE7uVh9sKxLg"
)

func newWelcome() *Welcome {
	return &Welcome{
		V: 1, SID: testSID, Key: testKey, Ack: 0,
		HB: 25000, Timeout: 45000, TTL: 120000, Max: 1 << 20, Poll: 25000,
		Transports: []string{TransportWebSocket, TransportSSE, TransportPoll},
	}
}

type namedFrame struct {
	name string
	f    Frame
}

// fixtures returns valid frames of every kind that both encodings carry.
func fixtures() []namedFrame {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	resumed := newWelcome()
	resumed.Key, resumed.Resumed, resumed.Ack = "", true, 41
	probe := newWelcome()
	probe.Key, probe.Resumed, probe.Probe, probe.Ack = "", true, true, 7
	bare := newWelcome()
	bare.Transports = nil
	return []namedFrame{
		{"text", Frame{Kind: KindText, Seq: 12, Data: []byte("hello world")}},
		{"text/empty", Frame{Kind: KindText, Seq: 1, Data: []byte{}}},
		{"text/escapes", Frame{Kind: KindText, Seq: 3, Data: []byte("a\"b\\c\nd\re\tf\x00g\x1f\x7f </script> & é 日本 😀 \u2028\u2029 \ufffd")}},
		{"text/max-json-seq", Frame{Kind: KindText, Seq: MaxSafeInt, Data: []byte("x")}},
		{"binary", Frame{Kind: KindBinary, Seq: 13, Data: []byte{0x00, 0xff, 0x10}}},
		{"binary/empty", Frame{Kind: KindBinary, Seq: 2, Data: []byte{}}},
		{"binary/all-bytes", Frame{Kind: KindBinary, Seq: 99, Data: all}},
		{"binary/one", Frame{Kind: KindBinary, Seq: 4, Data: []byte{'A'}}},
		{"binary/two", Frame{Kind: KindBinary, Seq: 5, Data: []byte{'A', 'B'}}},
		{"ack/0", Frame{Kind: KindAck, Seq: 0}},
		{"ack", Frame{Kind: KindAck, Seq: 12}},
		{"ping", Frame{Kind: KindPing, Seq: 12}},
		{"pong", Frame{Kind: KindPong, Seq: 12}},
		{"upgrade", Frame{Kind: KindUpgrade, Seq: 12}},
		{"ack/max-json", Frame{Kind: KindAck, Seq: MaxSafeInt}},
		{"hello/new", Frame{Kind: KindHello, Hello: &Hello{V: 1}}},
		{"hello/resume", Frame{Kind: KindHello, Hello: &Hello{V: 1, SID: testSID, Key: testKey, Ack: 4}}},
		{"hello/probe", Frame{Kind: KindHello, Hello: &Hello{V: 1, SID: testSID, Key: testKey, Ack: 4, Probe: true}}},
		{"welcome/new", Frame{Kind: KindWelcome, Welcome: newWelcome()}},
		{"welcome/resumed", Frame{Kind: KindWelcome, Welcome: resumed}},
		{"welcome/probe", Frame{Kind: KindWelcome, Welcome: probe}},
		{"welcome/no-transports", Frame{Kind: KindWelcome, Welcome: bare}},
		{"close", Frame{Kind: KindClose, Close: &Close{Code: CloseNormal, Reason: "bye"}}},
		{"close/app", Frame{Kind: KindClose, Close: &Close{Code: 4321}}},
		{"close/unicode", Frame{Kind: KindClose, Close: &Close{Code: CloseGoingAway, Reason: "tschüß <&> \"x\"\n"}}},
		{"error", Frame{Kind: KindError, Error: &Error{Code: CodeSessionNotFound, Message: "no such session", Status: 410}}},
		{"error/versions", Frame{Kind: KindError, Error: &Error{Code: CodeUnsupportedVersion, Message: "speak v1", Status: 400, Versions: []int{1}}}},
		{"error/retry", Frame{Kind: KindError, Error: &Error{Code: CodeTooManySessions, Status: 429, Retry: 2000}}},
		{"error/unknown-code", Frame{Kind: KindError, Error: &Error{Code: "future_code"}}},
		{"superseded", Frame{Kind: KindSuperseded}},
	}
}

// normalize returns a copy of f with the representations that encode alike
// made equal: nil and empty Data, nil and empty Welcome.Transports and
// Error.Versions.
func normalize(f Frame) Frame {
	if len(f.Data) == 0 {
		f.Data = nil
	}
	if f.Welcome != nil {
		w := *f.Welcome
		if w.Transports == nil {
			w.Transports = []string{}
		}
		f.Welcome = &w
	}
	if f.Error != nil {
		e := *f.Error
		if len(e.Versions) == 0 {
			e.Versions = nil
		}
		f.Error = &e
	}
	return f
}

// sameFrame reports whether a and b are the same frame.
func sameFrame(a, b Frame) bool {
	a, b = normalize(a), normalize(b)
	if !bytes.Equal(a.Data, b.Data) {
		return false
	}
	a.Data, b.Data = nil, nil
	return reflect.DeepEqual(a, b)
}

// checkFormatError fails t unless err is a *FormatError matching want, with
// a message in this package's form.
func checkFormatError(t testing.TB, err, want error) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FormatError", err, err)
	}
	if want != nil && !errors.Is(err, want) {
		t.Fatalf("error %q does not match %v", err, want)
	}
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %q matches neither ErrMalformed nor ErrTooLarge", err)
	}
	if fe.Encoding != EncodingWebSocket && fe.Encoding != EncodingJSON {
		t.Fatalf("error %q has encoding %q", err, fe.Encoding)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "tether/wire: "+fe.Encoding+": ") || fe.Reason == "" {
		t.Fatalf("error message %q is not of the form \"tether/wire: <encoding>: <reason>\"", msg)
	}
}

// randomFrame returns a valid frame; with jsonSafe its numbers fit the JSON
// encoding.
func randomFrame(r *rand.Rand, jsonSafe bool) Frame {
	num := func() uint64 {
		switch r.IntN(4) {
		case 0:
			return uint64(r.IntN(3))
		case 1:
			return r.Uint64N(1 << 20)
		case 2:
			if jsonSafe {
				return MaxSafeInt - uint64(r.IntN(3))
			}
			return 1<<64 - 1 - uint64(r.IntN(3))
		}
		if jsonSafe {
			return r.Uint64N(MaxSafeInt + 1)
		}
		return r.Uint64()
	}
	safe := func() int64 { return int64(r.Uint64N(MaxSafeInt + 1)) }
	kinds := []Kind{KindHello, KindWelcome, KindText, KindBinary, KindAck, KindPing, KindPong, KindUpgrade, KindClose, KindError, KindSuperseded}
	k := kinds[r.IntN(len(kinds))]
	switch k {
	case KindText:
		return Frame{Kind: k, Seq: max(num(), 1), Data: []byte(randomText(r))}
	case KindBinary:
		data := make([]byte, r.IntN(70))
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		return Frame{Kind: k, Seq: max(num(), 1), Data: data}
	case KindAck, KindPing, KindPong, KindUpgrade:
		return Frame{Kind: k, Seq: num()}
	case KindHello:
		h := &Hello{V: 1 + r.IntN(3), Probe: r.IntN(2) == 0}
		if r.IntN(2) == 0 {
			h.SID, h.Key, h.Ack = randomText(r), randomText(r), r.Uint64N(MaxSafeInt+1)
		}
		return Frame{Kind: k, Hello: h}
	case KindWelcome:
		w := &Welcome{
			V: 1 + r.IntN(3), SID: "s" + randomText(r), Key: randomText(r), Resumed: r.IntN(2) == 0,
			Probe: r.IntN(2) == 0, Ack: r.Uint64N(MaxSafeInt + 1), HB: safe(), Timeout: safe(),
			TTL: safe(), Max: safe(), Poll: safe(),
		}
		for range r.IntN(4) {
			w.Transports = append(w.Transports, randomText(r))
		}
		return Frame{Kind: k, Welcome: w}
	case KindClose:
		return Frame{Kind: k, Close: &Close{Code: MinCloseCode + r.IntN(MaxCloseCode-MinCloseCode+1), Reason: randomText(r)}}
	case KindError:
		e := &Error{Code: "c" + randomText(r), Message: randomText(r), Retry: safe()}
		if r.IntN(2) == 0 {
			e.Status = 100 + r.IntN(500)
		}
		for range r.IntN(3) {
			e.Versions = append(e.Versions, 1+r.IntN(1000))
		}
		return Frame{Kind: k, Error: e}
	}
	return Frame{Kind: KindSuperseded}
}

// randomText returns valid UTF-8 that is rich in characters that need care.
func randomText(r *rand.Rand) string {
	special := []rune{'"', '\\', '/', '\n', '\r', '\t', 0, 0x1f, 0x7f, '<', '>', '&', ' ', 'é', 0x2028, 0x2029, 0xfffd, 0xfeff, 0x1f600, 0x10ffff}
	var b strings.Builder
	for range r.IntN(40) {
		switch r.IntN(3) {
		case 0:
			b.WriteRune(special[r.IntN(len(special))])
		case 1:
			b.WriteByte(byte(0x20 + r.IntN(0x5f)))
		default:
			c := rune(r.IntN(utf8.MaxRune + 1))
			if !utf8.ValidRune(c) {
				c = 'x'
			}
			b.WriteRune(c)
		}
	}
	return b.String()
}

func TestKindString(t *testing.T) {
	want := map[Kind]string{
		KindHello: "hello", KindWelcome: "welcome", KindText: "text", KindBinary: "binary",
		KindAck: "ack", KindPing: "ping", KindPong: "pong", KindUpgrade: "upgrade",
		KindClose: "close", KindError: "error", KindSuperseded: "superseded",
		'z': "Kind(0x7a)", 0: "Kind(0x00)", 0xff: "Kind(0xff)",
	}
	for k, s := range want {
		if got := k.String(); got != s {
			t.Errorf("Kind(%#x).String() = %q, want %q", byte(k), got, s)
		}
	}
}

func TestStatusOf(t *testing.T) {
	want := map[string]int{
		CodeBadRequest: 400, CodeUnsupportedVersion: 400, CodeUnauthorized: 401, CodeForbiddenOrigin: 403,
		CodeTransportDisabled: 404, CodeSessionNotFound: 410, CodeMessageTooLarge: 413,
		CodeTooManySessions: 429, CodeTooManyPolls: 429, CodeInternal: 500, "nope": 0, "": 0,
	}
	for code, status := range want {
		if got := StatusOf(code); got != status {
			t.Errorf("StatusOf(%q) = %d, want %d", code, got, status)
		}
	}
}

func TestParseUint(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"7", 7, true},
		{"12", 12, true},
		{"9007199254740991", MaxSafeInt, true},
		{"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false},
		{"", 0, false},
		{"00", 0, false},
		{"01", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1.0", 0, false},
		{"1e3", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"0x1", 0, false},
		{"١", 0, false}, // Arabic-Indic digit one
	}
	for _, tt := range tests {
		got, reason := parseUint([]byte(tt.in))
		if ok := reason == ""; ok != tt.ok || got != tt.want {
			t.Errorf("parseUint(%q) = %d, %q; want %d, ok=%v", tt.in, got, reason, tt.want, tt.ok)
		}
	}
}

func TestFormatError(t *testing.T) {
	err := error(&FormatError{Encoding: EncodingJSON, Reason: "frame array is empty", Err: ErrMalformed})
	if got, want := err.Error(), "tether/wire: json: frame array is empty"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge) {
		t.Errorf("errors.Is does not follow Err")
	}
}
