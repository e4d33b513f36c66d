package wire

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestJSONRoundTrip(t *testing.T) {
	for _, c := range fixtures() {
		t.Run(c.name, func(t *testing.T) {
			out, err := AppendJSON([]byte("prefix"), &c.f)
			if err != nil {
				t.Fatalf("AppendJSON: %v", err)
			}
			if !bytes.HasPrefix(out, []byte("prefix")) {
				t.Fatalf("AppendJSON did not append to dst: %q", out)
			}
			doc := out[len("prefix"):]
			checkJSONOutput(t, doc)
			got, err := ParseJSON(doc, 1<<20)
			if err != nil {
				t.Fatalf("ParseJSON(%s): %v", doc, err)
			}
			if !sameFrame(got, c.f) {
				t.Fatalf("ParseJSON(AppendJSON(f)) = %+v, want %+v", got, c.f)
			}
		})
	}
}

// checkJSONOutput checks what the JSON encoders promise about their output.
func checkJSONOutput(t testing.TB, doc []byte) {
	t.Helper()
	if !json.Valid(doc) || !utf8.Valid(doc) {
		t.Fatalf("output is not valid JSON: %q", doc)
	}
	if bytes.ContainsAny(doc, "\r\n") {
		t.Fatalf("output has a line break (it must fit one SSE data line): %q", doc)
	}
}

// TestJSONTextAgreesWithEncodingJSON checks the hand-written string quoting
// against encoding/json's decoder.
func TestJSONTextAgreesWithEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	texts := []string{"", "plain", "\"", "\\", "\x00\x01\x1f\x7f", "\u2028\u2029", "<>&", "😀", "é\u0301"}
	for range 2000 {
		texts = append(texts, randomText(r))
	}
	for _, s := range texts {
		out, err := AppendJSON(nil, &Frame{Kind: KindText, Seq: 1, Data: []byte(s)})
		if err != nil {
			t.Fatal(err)
		}
		var arr []any
		if err := json.Unmarshal(out, &arr); err != nil || len(arr) != 3 || arr[2] != s {
			t.Fatalf("encoding/json reads %q back as %v, %v", s, arr, err)
		}
	}
}

func TestJSONGolden(t *testing.T) {
	tests := []struct {
		f   Frame
		doc string
	}{
		{Frame{Kind: KindText, Seq: 12, Data: []byte("hello world")}, `["m",12,"hello world"]`},
		{Frame{Kind: KindText, Seq: 1}, `["m",1,""]`},
		{Frame{Kind: KindText, Seq: 3, Data: []byte("a\"b\\c\nd\x00é/<")}, `["m",3,"a\"b\\c\nd\u0000é/<"]`},
		{Frame{Kind: KindText, Seq: 4, Data: []byte("\r\t\b\f\x1f")}, `["m",4,"\r\t\u0008\u000c\u001f"]`},
		{Frame{Kind: KindBinary, Seq: 13, Data: []byte{0x00, 0xff, 0x10}}, `["b",13,"AP8Q"]`},
		{Frame{Kind: KindBinary, Seq: 14, Data: []byte{0xff, 0xff, 0xff, 'A'}}, `["b",14,"////QQ=="]`},
		{Frame{Kind: KindBinary, Seq: 15}, `["b",15,""]`},
		{Frame{Kind: KindAck, Seq: 12}, `["a",12]`},
		{Frame{Kind: KindPing, Seq: 12}, `["p",12]`},
		{Frame{Kind: KindPong, Seq: 0}, `["q",0]`},
		{Frame{Kind: KindUpgrade, Seq: 12}, `["u",12]`},
		{Frame{Kind: KindSuperseded}, `["s"]`},
		{Frame{Kind: KindHello, Hello: &Hello{V: 1}}, `["h",{"v":1}]`},
		{Frame{Kind: KindWelcome, Welcome: newWelcome()},
			`["w",{"v":1,"sid":"q3Vb0xWk7c9rJm2TtQH1Aw","key":"Zp4rD0nYc1mE7uVh9sKxLg","resumed":false,"ack":0,` +
				`"hb":25000,"timeout":45000,"ttl":120000,"max":1048576,"poll":25000,"transports":["websocket","sse","longpoll"]}]`},
		{Frame{Kind: KindClose, Close: &Close{Code: 1000, Reason: "bye"}}, `["c",{"code":1000,"reason":"bye"}]`},
		{Frame{Kind: KindError, Error: &Error{Code: CodeTooManyPolls, Message: "slow down", Status: 429, Retry: 1000}},
			`["e",{"code":"too_many_polls","message":"slow down","status":429,"retry":1000}]`},
	}
	for _, tt := range tests {
		out, err := AppendJSON(nil, &tt.f)
		if err != nil || string(out) != tt.doc {
			t.Errorf("AppendJSON(%v) = %s, %v; want %s", tt.f.Kind, out, err, tt.doc)
		}
	}
}

func TestParseJSONAccepts(t *testing.T) {
	tests := []struct {
		doc  string
		want Frame
	}{
		{" \t\r\n[ \"a\" , 12 ]\n", Frame{Kind: KindAck, Seq: 12}},
		{`["\u006d",1,"x"]`, Frame{Kind: KindText, Seq: 1, Data: []byte("x")}},
		{`["m",1,"\ud83d\ude00 \u00e9 \/"]`, Frame{Kind: KindText, Seq: 1, Data: []byte("😀 é /")}},
		{`["m",1,"\ud800"]`, Frame{Kind: KindText, Seq: 1, Data: []byte("\ufffd")}}, // lone surrogate
		{`["m",9007199254740991,"x"]`, Frame{Kind: KindText, Seq: MaxSafeInt, Data: []byte("x")}},
		{`["b",1,"\/\/\/\/"]`, Frame{Kind: KindBinary, Seq: 1, Data: []byte{0xff, 0xff, 0xff}}},
		{`["h",{"v":2,"extra":[{"deep":null}]}]`, Frame{Kind: KindHello, Hello: &Hello{V: 2}}},
		{`["e",{"code":"x","versions":[]}]`, Frame{Kind: KindError, Error: &Error{Code: "x"}}},
		{`["s"]`, Frame{Kind: KindSuperseded}},
	}
	for _, tt := range tests {
		got, err := ParseJSON([]byte(tt.doc), 0)
		if err != nil || !sameFrame(got, tt.want) {
			t.Errorf("ParseJSON(%s) = %+v, %v; want %+v", tt.doc, got, err, tt.want)
		}
	}
}

func TestParseJSONMalformed(t *testing.T) {
	tests := []struct {
		doc    string
		reason string
	}{
		{``, "not valid JSON"},
		{`   `, "not valid JSON"},
		{`x`, "not valid JSON"},
		{`[`, "not valid JSON"},
		{`["a",1]x`, "not valid JSON"},
		{`["a",1]["a",2]`, "not valid JSON"},
		{`["a",1,]`, "not valid JSON"},
		{"[\"m\",1,\"\xff\"]", "not valid UTF-8"},
		{"[\"m\",1,\"\xed\xa0\x80\"]", "not valid UTF-8"},
		{`{}`, "must be a JSON array"},
		{`null`, "must be a JSON array"},
		{`"m"`, "must be a JSON array"},
		{`12`, "must be a JSON array"},
		{`[]`, "frame array is empty"},
		{`[ ]`, "frame array is empty"},
		{`[1]`, "kind must be a JSON string"},
		{`[["a",1]]`, "kind must be a JSON string"},
		{`[null,1]`, "kind must be a JSON string"},
		{`["x"]`, "unknown frame kind 'x'"},
		{`[""]`, "unknown frame kind"},
		{`["mm",1,"a"]`, "unknown frame kind"},
		{`["\u0000"]`, "unknown frame kind Kind(0x00)"},
		{`["m"]`, "must have 3 elements, has 1"},
		{`["m",1]`, "must have 3 elements, has 2"},
		{`["m",1,"a",2]`, "more than 3 elements"},
		{`["m",0,"a"]`, "seq is 0"},
		{`["m",-1,"a"]`, "seq must be a non-negative JSON integer"},
		{`["m",1.0,"a"]`, "seq must be a non-negative JSON integer"},
		{`["m",1e2,"a"]`, "seq must be a non-negative JSON integer"},
		{`["m","1","a"]`, "seq must be a non-negative JSON integer"},
		{`["m",null,"a"]`, "seq must be a non-negative JSON integer"},
		{`["m",9007199254740992,"a"]`, "larger than 2^53-1"},
		{`["m",18446744073709551616,"a"]`, "does not fit"},
		{`["m",1,2]`, "text must be a JSON string"},
		{`["m",1,null]`, "text must be a JSON string"},
		{`["m",1,["a"]]`, "text must be a JSON string"},
		{`["b",1,"AP8"]`, "not padded standard base64"},
		{`["b",1,"AP8Q\n"]`, "not padded standard base64"},
		{`["b",1,"AP8Q\r\nAP8Q"]`, "not padded standard base64"},
		{`["b",1,"A==="]`, "not padded standard base64"},
		{`["b",1,"QR=="]`, "not padded standard base64"}, // non-zero padding bits
		{`["b",1,"AP-_"]`, "not padded standard base64"}, // URL alphabet
		{`["b",1,"****"]`, "not padded standard base64"},
		{`["b",1,"=AAA"]`, "not padded standard base64"},
		{`["b",1,7]`, "data must be a JSON string"},
		{`["a"]`, "must have 2 elements, has 1"},
		{`["a",1,2]`, "must have 2 elements, has 3"},
		{`["a",true]`, "ack must be a non-negative JSON integer"},
		{`["a",01]`, "not valid JSON"},
		{`["p",-0]`, "ack must be a non-negative JSON integer"},
		{`["u",9007199254740992]`, "larger than 2^53-1"},
		{`["s",1]`, "must have 1 elements, has 2"},
		{`["h"]`, "must have 2 elements"},
		{`["h",null]`, "expected a JSON object"},
		{`["h","{}"]`, "expected a JSON object"},
		{`["h",[]]`, "expected a JSON object"},
		{`["h",{}]`, `"v" is missing`},
		{`["w",{"v":1,"sid":"S"}]`, `"resumed" is missing`},
		{`["c",{"code":1000},1]`, "must have 2 elements, has 3"},
		{`["c",{"code":"1000"}]`, `"code" has the wrong type`},
		{`["e",{"message":"m"}]`, `"code" is missing`},
	}
	for _, tt := range tests {
		f, err := ParseJSON([]byte(tt.doc), 1<<20)
		if err == nil {
			t.Errorf("ParseJSON(%s) = %+v, want an error", tt.doc, f)
			continue
		}
		checkFormatError(t, err, ErrMalformed)
		if !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("ParseJSON(%s) error %q does not say %q", tt.doc, err, tt.reason)
		}
	}
}

func TestParseJSONTooLarge(t *testing.T) {
	tests := []struct {
		doc string
		max int
		ok  bool
	}{
		{`["m",1,"0123456789"]`, 10, true},
		{`["m",1,"0123456789A"]`, 10, false},
		{`["m",1,"\n\n\n\n\n\n\n\n\n\n"]`, 10, true},    // 20 bytes escaped, 10 decoded
		{`["m",1,"\n\n\n\n\n\n\n\n\n\n\n"]`, 10, false}, // 11 decoded
		{`["m",1,"\u0000\u0000\u0000"]`, 3, true},
		{`["m",1,"\u0000\u0000\u0000\u0000"]`, 3, false},
		{`["m",1,"é"]`, 2, true}, // the limit is in bytes
		{`["m",1,"é"]`, 1, false},
		{`["b",1,"AAAA"]`, 3, true},
		{`["b",1,"AAAA"]`, 2, false},
		{`["b",1,"AAA="]`, 2, true},
		{`["b",1,"AA=="]`, 1, true},
		{`["b",1,"AAAAAA=="]`, 3, false},
		{`["b",1,"AAAAAA=="]`, 0, true},
	}
	for _, tt := range tests {
		_, err := ParseJSON([]byte(tt.doc), tt.max)
		if tt.ok {
			if err != nil {
				t.Errorf("ParseJSON(%s, %d): %v", tt.doc, tt.max, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("ParseJSON(%s, %d) succeeded, want ErrTooLarge", tt.doc, tt.max)
			continue
		}
		checkFormatError(t, err, ErrTooLarge)
	}
}

func TestParseJSONAliases(t *testing.T) {
	doc := []byte(`["m",5,"payload"]`)
	f, err := ParseJSON(doc, 0)
	if err != nil {
		t.Fatal(err)
	}
	doc[8] = 'P'
	if string(f.Data) != "Payload" {
		t.Errorf("Data of unescaped text does not alias the input: %q", f.Data)
	}
}

func TestAppendJSONErrors(t *testing.T) {
	tests := []struct {
		name   string
		f      *Frame
		reason string
	}{
		{"nil", nil, "nil frame"},
		{"unknown kind", &Frame{Kind: 'z'}, "unknown kind"},
		{"text seq 0", &Frame{Kind: KindText}, "seq is 0"},
		{"text seq too big", &Frame{Kind: KindText, Seq: MaxSafeInt + 1}, "larger than 2^53-1"},
		{"binary seq too big", &Frame{Kind: KindBinary, Seq: 1<<64 - 1}, "larger than 2^53-1"},
		{"text invalid UTF-8", &Frame{Kind: KindText, Seq: 1, Data: []byte{0xc3}}, "not valid UTF-8"},
		{"ack too big", &Frame{Kind: KindAck, Seq: MaxSafeInt + 1}, "larger than 2^53-1"},
		{"upgrade too big", &Frame{Kind: KindUpgrade, Seq: 1<<64 - 1}, "larger than 2^53-1"},
		{"hello nil", &Frame{Kind: KindHello}, "Hello is nil"},
		{"close code", &Frame{Kind: KindClose, Close: &Close{Code: 5000}}, "between 1000 and 4999"},
		{"error code", &Frame{Kind: KindError, Error: &Error{}}, `"code" is empty`},
	}
	for _, tt := range tests {
		out, err := AppendJSON([]byte("keep"), tt.f)
		if err == nil {
			t.Errorf("%s: AppendJSON = %q, want an error", tt.name, out)
			continue
		}
		checkFormatError(t, err, ErrMalformed)
		if string(out) != "keep" {
			t.Errorf("%s: AppendJSON changed dst to %q on error", tt.name, out)
		}
		if !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), "cannot encode") {
			t.Errorf("%s: error %q does not say %q", tt.name, err, tt.reason)
		}
	}
}

func TestJSONBatch(t *testing.T) {
	var frames []Frame
	for _, c := range fixtures() {
		frames = append(frames, c.f)
	}
	out, err := AppendJSONBatch([]byte("x"), frames)
	if err != nil {
		t.Fatal(err)
	}
	doc := out[1:]
	checkJSONOutput(t, doc)
	got, err := ParseJSONBatch(doc, len(frames), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(frames) {
		t.Fatalf("got %d frames, want %d", len(got), len(frames))
	}
	for i := range got {
		if !sameFrame(got[i], frames[i]) {
			t.Errorf("frame %d = %+v, want %+v", i, got[i], frames[i])
		}
	}

	// Golden and empty batches.
	out, err = AppendJSONBatch(nil, []Frame{{Kind: KindAck, Seq: 4}, {Kind: KindText, Seq: 5, Data: []byte("hi")}})
	if err != nil || string(out) != `[["a",4],["m",5,"hi"]]` {
		t.Errorf("AppendJSONBatch = %s, %v", out, err)
	}
	if out, err := AppendJSONBatch(nil, nil); err != nil || string(out) != `[]` {
		t.Errorf("AppendJSONBatch(nil) = %s, %v", out, err)
	}
	for _, doc := range []string{`[]`, ` [ ] `, "[\n]"} {
		if got, err := ParseJSONBatch([]byte(doc), 10, 10); err != nil || len(got) != 0 {
			t.Errorf("ParseJSONBatch(%q) = %v, %v; want no frames", doc, got, err)
		}
	}
	if got, err := ParseJSONBatch([]byte(` [ ["a" ,1] , ["s"] ] `), 2, 0); err != nil || len(got) != 2 || got[1].Kind != KindSuperseded {
		t.Errorf("ParseJSONBatch with spaces = %v, %v", got, err)
	}

	// Encoding errors name the frame and leave dst alone.
	out, err = AppendJSONBatch([]byte("keep"), []Frame{{Kind: KindAck}, {Kind: 'z'}})
	if err == nil || string(out) != "keep" || !strings.Contains(err.Error(), "batch frame 1: ") {
		t.Errorf("AppendJSONBatch with a bad frame = %q, %v", out, err)
	}
}

func TestParseJSONBatchErrors(t *testing.T) {
	tests := []struct {
		doc       string
		maxFrames int
		maxData   int
		want      error
		reason    string
	}{
		{``, 0, 0, ErrMalformed, "batch is not valid JSON"},
		{"[\xff]", 0, 0, ErrMalformed, "batch is not valid UTF-8"},
		{`{}`, 0, 0, ErrMalformed, "batch must be a JSON array of frames"},
		{`["a",1]`, 0, 0, ErrMalformed, "batch frame 0: frame must be a JSON array"},
		{`[1]`, 0, 0, ErrMalformed, "batch frame 0: frame must be a JSON array"},
		{`[[]]`, 0, 0, ErrMalformed, "batch frame 0: frame array is empty"},
		{`[["a",1],["x"]]`, 0, 0, ErrMalformed, "batch frame 1: unknown frame kind 'x'"},
		{`[["a",1],]`, 0, 0, ErrMalformed, "not valid JSON"},
		{`[["a",1]] [`, 0, 0, ErrMalformed, "not valid JSON"},
		{`[["a",1],["a",2],["a",3]]`, 2, 0, ErrTooLarge, "batch has more than 2 frames"},
		{`[["a",1],["m",2,"abc"]]`, 0, 2, ErrTooLarge, "batch frame 1: text data frame: payload of 3 bytes"},
	}
	for _, tt := range tests {
		got, err := ParseJSONBatch([]byte(tt.doc), tt.maxFrames, tt.maxData)
		if err == nil {
			t.Errorf("ParseJSONBatch(%s) = %v, want an error", tt.doc, got)
			continue
		}
		checkFormatError(t, err, tt.want)
		if !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("ParseJSONBatch(%s) error %q does not say %q", tt.doc, err, tt.reason)
		}
	}
	if got, err := ParseJSONBatch([]byte(`[["a",1],["a",2]]`), 2, 0); err != nil || len(got) != 2 {
		t.Errorf("ParseJSONBatch at maxFrames = %v, %v", got, err)
	}
}

// TestJSONProperty checks ParseJSON(AppendJSON(f)) == f for random valid
// frames, and that both encodings agree.
func TestJSONProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var buf []byte
	batch := make([]Frame, 0, 8)
	for range 5000 {
		f := randomFrame(r, true)
		out, err := AppendJSON(buf[:0], &f)
		if err != nil {
			t.Fatalf("AppendJSON(%+v): %v", f, err)
		}
		buf = out
		checkJSONOutput(t, out)
		got, err := ParseJSON(out, 0)
		if err != nil {
			t.Fatalf("ParseJSON(%s): %v", out, err)
		}
		if !sameFrame(got, f) {
			t.Fatalf("ParseJSON(AppendJSON(f)) = %+v, want %+v", got, f)
		}
		bin, msg, err := AppendWS(nil, &got)
		if err != nil {
			t.Fatalf("AppendWS(%+v): %v", got, err)
		}
		if ws, err := ParseWS(bin, msg, 0); err != nil || !sameFrame(ws, f) {
			t.Fatalf("WebSocket encoding of %+v reads back as %+v, %v", f, ws, err)
		}
		if batch = append(batch, f); len(batch) == cap(batch) {
			doc, err := AppendJSONBatch(nil, batch)
			if err != nil {
				t.Fatal(err)
			}
			frames, err := ParseJSONBatch(doc, len(batch), 0)
			if err != nil || len(frames) != len(batch) {
				t.Fatalf("ParseJSONBatch(%s) = %d frames, %v", doc, len(frames), err)
			}
			for i := range frames {
				if !sameFrame(frames[i], batch[i]) {
					t.Fatalf("batch frame %d = %+v, want %+v", i, frames[i], batch[i])
				}
			}
			batch = batch[:0]
		}
	}
}
