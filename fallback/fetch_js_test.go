//go:build js && wasm

package fallback

import (
	"context"
	"errors"
	"io"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/jsutil"
	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/sse"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// These run in Node (make wasm-unit): the parts of the browser links that
// need no server. The links themselves are tested in Chromium (make wasm-test).

// stream returns a ReadableStream of the chunks, then closes.
func stream(chunks ...string) js.Value {
	arr := js.Global().Get("Array").New()
	for _, c := range chunks {
		arr.Call("push", jsutil.BytesToJS([]byte(c)))
	}
	src := js.Global().Get("Object").New()
	pull := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ctrl := args[0]
		if arr.Length() == 0 {
			ctrl.Call("close")
			return nil
		}
		ctrl.Call("enqueue", arr.Call("shift"))
		return nil
	})
	src.Set("pull", pull)
	return js.Global().Get("ReadableStream").New(src)
}
func TestBodyReaderReadsChunks(t *testing.T) {
	b := &bodyReader{ctx: context.Background(), stop: func() bool { return true },
		reader: stream("data: [\"m\",1,\"a\"]\n", "\n", ":hb\n\n").Call("getReader")}
	got, err := io.ReadAll(b)
	if err != nil || string(got) != "data: [\"m\",1,\"a\"]\n\n:hb\n\n" {
		t.Fatalf("read %q, %v", got, err)
	}
	b.Close()
}
func TestURLKeepsAppQueryDropsTethersAndNeverCarriesTheKey(t *testing.T) {
	tg, err := transport.ParseTarget("/live?room=42&tether_key=leak&tether=x", transport.URLRules{Origin: "https://app.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	r := newRequester((&config{io: fetcher{}, target: tg}).defaults(), wire.TransportPoll, link.Attach{SID: "S1", Key: "K"})
	got := r.url(wire.ModePoll, true, 7)
	want := "https://app.example.com/live?room=42&tether=poll&tether_v=1&tether_sid=S1&tether_ack=7"
	if got != want {
		t.Fatalf("url\n got %s\nwant %s", got, want)
	}
	if strings.Contains(got, wire.ParamKey) {
		t.Fatal("the key is in the URL")
	}
}
func TestStatusErrorClassifies(t *testing.T) {
	resp := &answer{status: 410, statusLine: "410 Gone", url: "https://x/live", header: transport.Header{"Retry-After": {"3"}},
		body: &bodyReader{ctx: context.Background(), stop: func() bool { return true },
			reader: stream(`{"code":"session_not_found","message":"no such session","status":410}`).Call("getReader")}}
	he := statusError(wire.TransportSSE, resp)
	if he.StatusCode != 410 || he.RetryAfter != 3*time.Second || transport.Classify(he) != transport.ClassifyStatus(410, false) {
		t.Fatalf("err = %#v", he)
	}
	if e, ok := parseErrorObject(he.Body); !ok || e.Code != wire.CodeSessionNotFound {
		t.Fatalf("body %q", he.Body)
	}
}
func TestReadFirstEventReadsNoBytePastIt(t *testing.T) {
	body := ":hi\r\nevent: other\ndata: x\n\ndata: [\"w\",{}]\r\n\r\ndata: next\n\n"
	b := &bodyReader{ctx: context.Background(), stop: func() bool { return true }, reader: stream(body[:7], body[7:]).Call("getReader")}
	ev, err := readFirstEvent(b, 1024)
	if err != nil || ev.Data != `["w",{}]` {
		t.Fatalf("first event %+v, %v", ev, err)
	}
	rest, _ := io.ReadAll(b)
	// The LF of the final CRLF is left: a blank line to the next reader,
	// which dispatches nothing.
	if string(rest) != "\ndata: next\n\n" {
		t.Fatalf("left %q", rest)
	}
	if _, err := readFirstEvent(strings.NewReader("data: "+strings.Repeat("x", 100)), 50); !errors.Is(err, sse.ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
}
