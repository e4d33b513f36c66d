package wire

import (
	"bytes"
	"testing"
)

var (
	text1K   = bytes.Repeat([]byte("0123456789abcdef"), 64)
	binary1K = func() []byte {
		b := make([]byte, 1024)
		for i := range b {
			b[i] = byte(i * 7)
		}
		return b
	}()
)

func BenchmarkAppendDataHeader(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 64)
	for i := 0; b.Loop(); i++ {
		buf = AppendDataHeader(buf[:0], KindText, uint64(i)+1_000_000)
	}
}

func BenchmarkAppendWSText1K(b *testing.B) {
	f := Frame{Kind: KindText, Seq: 123456, Data: text1K}
	buf := make([]byte, 0, 2048)
	b.SetBytes(int64(len(text1K)))
	b.ReportAllocs()
	for b.Loop() {
		_, buf, _ = AppendWS(buf[:0], &f)
	}
}

func BenchmarkParseWSText1K(b *testing.B) {
	_, msg, _ := AppendWS(nil, &Frame{Kind: KindText, Seq: 123456, Data: text1K})
	b.SetBytes(int64(len(text1K)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseWS(false, msg, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseWSTextUTF8_1K(b *testing.B) {
	text := bytes.Repeat([]byte("héllo wörld, 日本語 "), 1024/len("héllo wörld, 日本語 ")+1)[:1000]
	_, msg, err := AppendWS(nil, &Frame{Kind: KindText, Seq: 123456, Data: bytes.ToValidUTF8(text, nil)})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseWS(false, msg, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseWSBinary1K(b *testing.B) {
	_, msg, _ := AppendWS(nil, &Frame{Kind: KindBinary, Seq: 123456, Data: binary1K})
	b.SetBytes(int64(len(binary1K)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseWS(true, msg, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseWSAck(b *testing.B) {
	msg := []byte("a123456")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseWS(false, msg, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendJSONText1K(b *testing.B) {
	f := Frame{Kind: KindText, Seq: 123456, Data: text1K}
	buf := make([]byte, 0, 4096)
	b.SetBytes(int64(len(text1K)))
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendJSON(buf[:0], &f)
	}
}

func BenchmarkParseJSONText1K(b *testing.B) {
	doc, _ := AppendJSON(nil, &Frame{Kind: KindText, Seq: 123456, Data: text1K})
	b.SetBytes(int64(len(text1K)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseJSON(doc, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseJSONBinary1K(b *testing.B) {
	doc, _ := AppendJSON(nil, &Frame{Kind: KindBinary, Seq: 123456, Data: binary1K})
	b.SetBytes(int64(len(binary1K)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseJSON(doc, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseJSONBatch16x64(b *testing.B) {
	frames := make([]Frame, 16)
	for i := range frames {
		frames[i] = Frame{Kind: KindText, Seq: uint64(i + 1), Data: text1K[:64]}
	}
	doc, _ := AppendJSONBatch(nil, frames)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseJSONBatch(doc, 64, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDataPathAllocs pins the zero-allocation promise of the WebSocket data path.
func TestDataPathAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	buf := make([]byte, 0, 2048)
	f := Frame{Kind: KindText, Seq: 123456, Data: text1K}
	_, msg, _ := AppendWS(nil, &f)
	_, bmsg, _ := AppendWS(nil, &Frame{Kind: KindBinary, Seq: 7, Data: binary1K})
	checks := map[string]func(){
		"AppendDataHeader": func() { buf = AppendDataHeader(buf[:0], KindBinary, 123456) },
		"AppendWS text":    func() { _, buf, _ = AppendWS(buf[:0], &f) },
		"ParseWS text":     func() { _, _ = ParseWS(false, msg, 1<<20) },
		"ParseWS binary":   func() { _, _ = ParseWS(true, bmsg, 1<<20) },
		"AppendJSON text":  func() { buf, _ = AppendJSON(buf[:0], &f) },
	}
	for name, fn := range checks {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: %v allocations, want 0", name, n)
		}
	}
}
