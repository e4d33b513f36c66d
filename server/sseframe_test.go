package server

import (
	"strconv"
	"testing"

	"github.com/tether-sdk/tether/internal/sse"
	"github.com/tether-sdk/tether/internal/wire"
)

// TestSSEFrameMatchesAppendEvent: the direct encoding of sseWriter.frame
// writes the same bytes as sse.AppendEvent of the frame's JSON, also after
// the events already in its buffer.
func TestSSEFrameMatchesAppendEvent(t *testing.T) {
	all := &sseWriter{}
	var wantAll []byte
	for _, f := range []wire.Frame{
		{Kind: wire.KindText, Seq: 7, Data: []byte("héllo \"x\"\n\r\x00 end")},
		{Kind: wire.KindBinary, Seq: 1 << 40, Data: []byte{0, 1, 2, 0xff}},
		{Kind: wire.KindAck, Seq: 12},
		{Kind: wire.KindClose, Close: &wire.Close{Code: wire.CloseNormal, Reason: "bye\n"}},
	} {
		sw := &sseWriter{}
		if err := sw.frame(&f); err != nil {
			t.Fatal(err)
		}
		js, err := wire.AppendJSON(nil, &f)
		if err != nil {
			t.Fatal(err)
		}
		ev := sse.Event{Data: string(js)}
		if f.Kind == wire.KindText || f.Kind == wire.KindBinary {
			ev.ID = strconv.FormatUint(f.Seq, 10)
		}
		want, err := sse.AppendEvent(nil, ev)
		if err != nil {
			t.Fatal(err)
		}
		if string(sw.buf) != string(want) {
			t.Errorf("%s frame: %q, want %q", f.Kind, sw.buf, want)
		}
		if err := all.frame(&f); err != nil {
			t.Fatal(err)
		}
		wantAll = append(wantAll, want...)
		if string(all.buf) != string(wantAll) {
			t.Errorf("after %s frame: %q, want %q", f.Kind, all.buf, wantAll)
		}
	}
}
