package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// The hand-written JSON code (jsonsyntax.go, jsonvalue.go, objects.go) is held
// to encoding/json, which the package used before: the same inputs accepted,
// the same values read, the same bytes written.

// refObject decodes the object b of kind k as the package did with
// encoding/json; the Frame is valid only when err is nil.
func refObject(k Kind, b []byte) (Frame, error) {
	type helloIn struct {
		V     *int   `json:"v"`
		SID   string `json:"sid"`
		Key   string `json:"key"`
		Ack   uint64 `json:"ack"`
		Probe bool   `json:"probe"`
	}
	type welcomeIn struct {
		V          *int      `json:"v"`
		SID        *string   `json:"sid"`
		Key        string    `json:"key"`
		Resumed    *bool     `json:"resumed"`
		Probe      bool      `json:"probe"`
		Ack        *uint64   `json:"ack"`
		HB         *int64    `json:"hb"`
		Timeout    *int64    `json:"timeout"`
		TTL        *int64    `json:"ttl"`
		Max        *int64    `json:"max"`
		Poll       *int64    `json:"poll"`
		Transports *[]string `json:"transports"`
	}
	type closeIn struct {
		Code   *int   `json:"code"`
		Reason string `json:"reason"`
	}
	type errorIn struct {
		Code     *string `json:"code"`
		Message  string  `json:"message"`
		Status   int     `json:"status"`
		Versions []int   `json:"versions"`
		Retry    int64   `json:"retry"`
	}
	if len(b) == 0 || b[0] != '{' || b[len(b)-1] != '}' {
		return Frame{}, errors.New("not an object")
	}
	f := Frame{Kind: k}
	var reason string
	errMissing := errors.New("missing")
	switch k {
	case KindHello:
		var in helloIn
		if err := json.Unmarshal(b, &in); err != nil {
			return f, err
		}
		if in.V == nil {
			return f, errMissing
		}
		f.Hello = &Hello{V: *in.V, SID: in.SID, Key: in.Key, Ack: in.Ack, Probe: in.Probe}
		reason = checkHello(f.Hello)
	case KindWelcome:
		var in welcomeIn
		if err := json.Unmarshal(b, &in); err != nil {
			return f, err
		}
		if in.V == nil || in.SID == nil || in.Resumed == nil || in.Ack == nil || in.HB == nil || in.Timeout == nil ||
			in.TTL == nil || in.Max == nil || in.Poll == nil || in.Transports == nil {
			return f, errMissing
		}
		f.Welcome = &Welcome{
			V: *in.V, SID: *in.SID, Key: in.Key, Resumed: *in.Resumed, Probe: in.Probe,
			Ack: *in.Ack, HB: *in.HB, Timeout: *in.Timeout, TTL: *in.TTL, Max: *in.Max,
			Poll: *in.Poll, Transports: *in.Transports,
		}
		reason = checkWelcome(f.Welcome)
	case KindClose:
		var in closeIn
		if err := json.Unmarshal(b, &in); err != nil {
			return f, err
		}
		if in.Code == nil {
			return f, errMissing
		}
		f.Close = &Close{Code: *in.Code, Reason: in.Reason}
		reason = checkClose(f.Close)
	case KindError:
		var in errorIn
		if err := json.Unmarshal(b, &in); err != nil {
			return f, err
		}
		if in.Code == nil {
			return f, errMissing
		}
		f.Error = &Error{Code: *in.Code, Message: in.Message, Status: in.Status, Versions: in.Versions, Retry: in.Retry}
		reason = checkError(f.Error)
	}
	if reason != "" {
		return f, errors.New(reason)
	}
	return f, nil
}

// refMarshal is the object as encoding/json writes it.
func refMarshal(f *Frame) []byte {
	var v any
	switch f.Kind {
	case KindHello:
		v = f.Hello
	case KindWelcome:
		w := *f.Welcome
		if w.Transports == nil {
			w.Transports = []string{}
		}
		v = &w
	case KindClose:
		v = f.Close
	case KindError:
		v = f.Error
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

var objectKinds = []Kind{KindHello, KindWelcome, KindClose, KindError}

// checkObjectAgrees fails t unless parseObject and encoding/json agree on b,
// and, when b is a frame object, appendObject writes what json.Marshal does.
func checkObjectAgrees(t testing.TB, k Kind, b []byte) {
	t.Helper()
	if !utf8.Valid(b) {
		return // the callers reject it before
	}
	got, err := parseObject(k, b, EncodingJSON)
	want, wantErr := refObject(k, b)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%s object %q: parseObject error %v, encoding/json error %v", k, b, err, wantErr)
	}
	if err != nil {
		checkFormatError(t, err, ErrMalformed)
		return
	}
	if !sameFrame(got, want) {
		t.Fatalf("%s object %q: parseObject = %+v, encoding/json = %+v", k, b, got, want)
	}
	out, err := appendObject(nil, &got, EncodingJSON)
	if err != nil {
		t.Fatalf("%s object %q parsed but does not encode: %v", k, b, err)
	}
	if ref := refMarshal(&got); !bytes.Equal(out, ref) {
		t.Fatalf("%s object: appendObject = %s, json.Marshal = %s", k, out, ref)
	}
}

func objectSeeds() []string {
	return []string{
		`{"v":1}`, `{"v":1,"sid":"a","key":"k","ack":3,"probe":true}`, `{"V":1,"SID":"x"}`,
		`{"v":null}`, `{"v":1,"v":null}`, `{"v":"1"}`, `{"v":1.0}`, `{"v":1e0}`, `{"v":-0}`, `{"v":1,"ack":-0}`,
		`{"v":1,"ack":9007199254740992}`, `{"v":99999999999999999999}`, `{"v":1,"\u017fid":"s"}`,
		`{"v":1,"\u212aey":"k"}`, `{"v":1,"sid":null,"probe":null}`, `{"v":1,"probe":1}`, `{ "v" : 1 , "x":[{}] }`,
		`{"v":1,"sid":"1","resumed":false,"ack":0,"hb":1,"timeout":2,"ttl":3,"max":4,"poll":5,"transports":["websocket",null]}`,
		`{"v":1,"sid":"1","resumed":false,"ack":0,"hb":1,"timeout":2,"ttl":3,"max":4,"poll":5,"transports":null}`,
		`{"v":1,"sid":"1","resumed":false,"ack":0,"hb":1,"timeout":2,"ttl":3,"max":4,"poll":5,"transports":[1]}`,
		`{"code":1000,"reason":"bye \u003c\u2028\ud800x\"\\"}`, `{"code":4999,"reason":null}`, `{"code":999}`,
		`{"code":"unsupported_version","message":"m","status":400,"versions":[1,2],"retry":5}`,
		`{"code":"x","versions":[]}`, `{"code":"x","versions":null}`, `{"code":"x","versions":[null]}`,
		`{"code":"x","status":"400"}`, `{"code":"\ud83d\ude00","message":"\b\f\n\r\t\u0001<>&"}`, `{"v":1}}`, `{"v":1`,
	}
}

func TestObjectsAgreeWithEncodingJSON(t *testing.T) {
	for _, s := range objectSeeds() {
		for _, k := range objectKinds {
			checkObjectAgrees(t, k, []byte(s))
		}
	}
	for _, c := range fixtures() {
		switch c.f.Kind {
		case KindHello, KindWelcome, KindClose, KindError:
			out, err := appendObject(nil, &c.f, EncodingJSON)
			if err != nil {
				t.Fatal(err)
			}
			if ref := refMarshal(&c.f); !bytes.Equal(out, ref) {
				t.Fatalf("%s: appendObject = %s, json.Marshal = %s", c.name, out, ref)
			}
			checkObjectAgrees(t, c.f.Kind, out)
		}
	}
	// Every string shape encoding/json escapes.
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var sb strings.Builder
		for range r.IntN(12) {
			sb.WriteRune([]rune{'a', '<', '>', '&', '"', '\\', '/', '\b', '\f', '\n', '\r', '\t', 0, 0x1f, 0x7f,
				0x80, 0xe9, 0x2028, 0x2029, 0xfffd, 0x1f600}[r.IntN(21)])
		}
		f := Frame{Kind: KindClose, Close: &Close{Code: 1000, Reason: sb.String()}}
		out, err := appendObject(nil, &f, EncodingJSON)
		if err != nil {
			t.Fatal(err)
		}
		if ref := refMarshal(&f); !bytes.Equal(out, ref) {
			t.Fatalf("appendObject = %s, json.Marshal = %s", out, ref)
		}
		checkObjectAgrees(t, KindClose, out)
	}
}

func TestJSONSyntaxAgreesWithEncodingJSON(t *testing.T) {
	deep := func(n int, open, close string) string { return strings.Repeat(open, n) + strings.Repeat(close, n) }
	cases := []string{
		``, ` `, `1`, `-`, `-0`, `01`, `1.`, `1.5e`, `1E+2`, `.5`, `"a`, `"\x"`, `"\u12g4"`, "\"\x01\"", "\"\x7f\"",
		`[1,]`, `[,1]`, `{"a":1,}`, `{"a" 1}`, `{1:2}`, `tru`, `nulls`, `[] []`, " [ 1 , 2 ]\n", `{"a":{"b":[]}}`,
		"\"\xff\"", deep(maxJSONDepth, "[", "]"), deep(maxJSONDepth+1, "[", "]"),
		strings.Repeat(`{"a":`, maxJSONDepth) + "1" + strings.Repeat("}", maxJSONDepth),
		strings.Repeat(`{"a":`, maxJSONDepth+1) + "1" + strings.Repeat("}", maxJSONDepth+1),
	}
	for _, c := range cases {
		if got, want := jsonSyntax([]byte(c)) == "", json.Valid([]byte(c)); got != want {
			t.Errorf("jsonSyntax(%.40q) accepts: %v, json.Valid: %v", c, got, want)
		}
	}
}

func TestUnquoteAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range []string{`""`, `"a\"\\\/\b\f\n\r\t"`, `"\u00e9\u2028"`, `"\ud83d\ude00"`, `"\ud83d"`,
		`"\ude00\ud83d"`, `"\ud83dx"`, `"\ud83d\u0041"`, `"\ud83d\ud83d\ude00"`, "\"\xff\xfe\"", `"\u0000"`} {
		checkUnquote(t, []byte(c))
	}
}

func checkUnquote(t testing.TB, b []byte) {
	t.Helper()
	var want string
	if json.Unmarshal(b, &want) != nil || jsonSyntax(b) != "" {
		return
	}
	b = bytes.Trim(b, " \t\r\n")
	if b[0] != '"' {
		return
	}
	if got := unquoteJSON(b); string(got) != want {
		t.Fatalf("unquoteJSON(%q) = %q, encoding/json: %q", b, got, want)
	}
}

// FuzzJSONAgreesWithEncodingJSON: on any input, the syntax checker, the
// string decoder and the four object readers and writers agree with
// encoding/json, and none panics.
func FuzzJSONAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range objectSeeds() {
		f.Add([]byte(s))
	}
	f.Add([]byte(`"\ud83d\ude00\u00e9\n"`))
	f.Add([]byte(`[1,-0.5e+3,"x",true,false,null,{"a":[]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := jsonSyntax(b) == "", json.Valid(b); got != want {
			t.Fatalf("jsonSyntax(%q) accepts: %v, json.Valid: %v", b, got, want)
		}
		if len(b) > 0 && b[0] == '"' {
			checkUnquote(t, b)
		}
		for _, k := range objectKinds {
			checkObjectAgrees(t, k, b)
		}
	})
}
