package fallback

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tether-sdk/tether/internal/sse"
	"github.com/tether-sdk/tether/internal/wire"
)

// loopReader serves b over and over.
type loopReader struct {
	b   []byte
	off int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.b[l.off:])
	l.off = (l.off + n) % len(l.b)
	return n, nil
}

// BenchmarkSSEParse is the stream reader's work per 1 KiB text frame: the
// event (NextView: parsed from the reader's buffer), its JSON, and the
// payload copied for the caller, as readEvents does.
func BenchmarkSSEParse(b *testing.B) {
	payload := strings.Repeat("0123456789abcdef", 64)
	var stream []byte
	for i := 1; i <= 64; i++ {
		stream = append(stream, "id: "+strconv.Itoa(i)+"\ndata: [\"m\","+strconv.Itoa(i)+",\""+payload+"\"]\n\n"...)
	}
	rd := sse.NewReader(&loopReader{b: stream}, nil)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		_, data, err := rd.NextView()
		if err != nil {
			b.Fatal(err)
		}
		f, err := wire.ParseJSONUTF8(data, 0)
		if err != nil || len(f.Data) != len(payload) {
			b.Fatal(err)
		}
		if aliases(f.Data, data) {
			f.Data = append([]byte(nil), f.Data...)
		}
	}
}
