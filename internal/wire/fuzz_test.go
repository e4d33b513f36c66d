package wire

import (
	"bytes"
	"testing"
)

// The fuzz targets check that the parsers never panic, that every error is a
// *FormatError, and that whatever parses re-encodes and re-parses to the
// same frame. Seed corpora are in testdata/fuzz/<FuzzName>.

const fuzzMaxPayload = 4096

func FuzzParseWS(f *testing.F) {
	for _, c := range fixtures() {
		bin, msg, err := AppendWS(nil, &c.f)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bin, msg)
	}
	f.Fuzz(func(t *testing.T, binary bool, msg []byte) {
		in := bytes.Clone(msg)
		fr, err := ParseWS(binary, msg, fuzzMaxPayload)
		if !bytes.Equal(msg, in) {
			t.Fatalf("ParseWS modified its input")
		}
		if err != nil {
			checkFormatError(t, err, nil)
			return
		}
		bin, out, err := AppendWS(nil, &fr)
		if err != nil {
			t.Fatalf("ParseWS(%v, %q) = %+v, which AppendWS rejects: %v", binary, msg, fr, err)
		}
		if bin != binary {
			t.Fatalf("AppendWS says binary=%v for a frame parsed from binary=%v", bin, binary)
		}
		switch fr.Kind {
		case KindHello, KindWelcome, KindClose, KindError:
		default: // every frame without a JSON object has one encoding
			if !bytes.Equal(out, msg) {
				t.Fatalf("%q parses and re-encodes as %q", msg, out)
			}
		}
		again, err := ParseWS(bin, out, fuzzMaxPayload)
		if err != nil || !sameFrame(again, fr) {
			t.Fatalf("%q parses as %+v, re-encodes as %q, which parses as %+v, %v", msg, fr, out, again, err)
		}
		if (fr.Kind == KindText || fr.Kind == KindBinary || fr.Kind == KindAck || fr.Kind == KindPing ||
			fr.Kind == KindPong || fr.Kind == KindUpgrade) && fr.Seq > MaxSafeInt {
			return // not carried by the JSON encoding
		}
		doc, err := AppendJSON(nil, &fr)
		if err != nil {
			t.Fatalf("AppendJSON(%+v): %v", fr, err)
		}
		if viaJSON, err := ParseJSON(doc, fuzzMaxPayload); err != nil || !sameFrame(viaJSON, fr) {
			t.Fatalf("%+v reads back from JSON %s as %+v, %v", fr, doc, viaJSON, err)
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, c := range fixtures() {
		doc, err := AppendJSON(nil, &c.f)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		in := bytes.Clone(doc)
		fr, err := ParseJSON(doc, fuzzMaxPayload)
		if !bytes.Equal(doc, in) {
			t.Fatalf("ParseJSON modified its input")
		}
		if err != nil {
			checkFormatError(t, err, nil)
			return
		}
		out, err := AppendJSON(nil, &fr)
		if err != nil {
			t.Fatalf("ParseJSON(%q) = %+v, which AppendJSON rejects: %v", doc, fr, err)
		}
		checkJSONOutput(t, out)
		again, err := ParseJSON(out, fuzzMaxPayload)
		if err != nil || !sameFrame(again, fr) {
			t.Fatalf("%q parses as %+v, re-encodes as %s, which parses as %+v, %v", doc, fr, out, again, err)
		}
		bin, msg, err := AppendWS(nil, &fr)
		if err != nil {
			t.Fatalf("AppendWS(%+v): %v", fr, err)
		}
		if viaWS, err := ParseWS(bin, msg, fuzzMaxPayload); err != nil || !sameFrame(viaWS, fr) {
			t.Fatalf("%+v reads back from WebSocket %q as %+v, %v", fr, msg, viaWS, err)
		}
	})
}

func FuzzParseJSONBatch(f *testing.F) {
	var frames []Frame
	for _, c := range fixtures() {
		frames = append(frames, c.f)
	}
	for i := 0; i < len(frames); i += 4 {
		doc, err := AppendJSONBatch(nil, frames[i:min(i+4, len(frames))])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(doc)
	}
	const maxFrames = 16
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, err := ParseJSONBatch(doc, maxFrames, fuzzMaxPayload)
		if err != nil {
			checkFormatError(t, err, nil)
			return
		}
		if len(got) > maxFrames {
			t.Fatalf("ParseJSONBatch returned %d frames, more than %d", len(got), maxFrames)
		}
		out, err := AppendJSONBatch(nil, got)
		if err != nil {
			t.Fatalf("ParseJSONBatch(%q) = %+v, which AppendJSONBatch rejects: %v", doc, got, err)
		}
		checkJSONOutput(t, out)
		again, err := ParseJSONBatch(out, maxFrames, fuzzMaxPayload)
		if err != nil || len(again) != len(got) {
			t.Fatalf("%q re-encodes as %s, which parses as %d frames, %v", doc, out, len(again), err)
		}
		for i := range got {
			if !sameFrame(again[i], got[i]) {
				t.Fatalf("frame %d: %+v re-parses as %+v", i, got[i], again[i])
			}
		}
	})
}
