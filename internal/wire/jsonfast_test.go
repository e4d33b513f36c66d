package wire

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// slowJSON is ParseJSON without its fast path.
func slowJSON(b []byte, maxPayload int) (Frame, error) {
	v, err := checkJSON(b, "frame")
	if err != nil {
		return Frame{}, err
	}
	return parseJSONFrame(v, maxPayload)
}

// FuzzParseDataFast: whatever the fast path parses, the general parser
// parses to the same frame; ParseJSON and ParseJSONUTF8 (on valid UTF-8)
// agree with the general parser on frames and errors.
func FuzzParseDataFast(f *testing.F) {
	for _, s := range []string{
		`["m",1,"hello"]`, `["b",2,"aGk="]`, `["m",9007199254740991,""]`, `["m",9007199254740992,"x"]`,
		`["m",01,"x"]`, `["m",0,"x"]`, `["m",1,"a\"b"]`, `["m",1,"é"]`, "[\"m\",1,\"\xff\"]", `["b",1,"aGk"]`,
		`["m",1,"x"] `, `["m",1,"x",2]`, `["p",1]`, `["m", 1,"x"]`, `["b",1,"=aGk"]`,
	} {
		f.Add([]byte(s), 0)
		f.Add([]byte(s), 3)
	}
	f.Fuzz(func(t *testing.T, b []byte, maxPayload int) {
		want, werr := slowJSON(b, maxPayload)
		if fast, ok := parseDataFast(b, maxPayload); ok && utf8.Valid(b) {
			if werr != nil || !equalFrames(fast, want) {
				t.Fatalf("%q: fast %+v, general %+v %v", b, fast, want, werr)
			}
		}
		got, err := ParseJSON(b, maxPayload)
		if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() || !equalFrames(got, want) {
			t.Fatalf("%q: ParseJSON %+v %v, general %+v %v", b, got, err, want, werr)
		}
		if utf8.Valid(b) {
			got, err = ParseJSONUTF8(b, maxPayload)
			if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() || !equalFrames(got, want) {
				t.Fatalf("%q: ParseJSONUTF8 %+v %v, general %+v %v", b, got, err, want, werr)
			}
		}
	})
}

func equalFrames(a, b Frame) bool {
	return a.Kind == b.Kind && a.Seq == b.Seq && bytes.Equal(a.Data, b.Data) &&
		(a.Welcome == nil) == (b.Welcome == nil) && (a.Hello == nil) == (b.Hello == nil) &&
		(a.Close == nil) == (b.Close == nil) && (a.Error == nil) == (b.Error == nil)
}
