package server

import (
	"net/http"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/wire"
)

func TestWebSocketEchoAndResume(t *testing.T) {
	r := newRig(t, echo, nil)
	c, resp, err := r.dialWS(nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("Sec-WebSocket-Protocol") != wire.Subprotocol {
		t.Fatal("subprotocol not selected")
	}
	wsWrite(t, c, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: 1}})
	w := wsRead(t, c)
	if w.Kind != wire.KindWelcome || w.Welcome.SID == "" || w.Welcome.Key == "" || w.Welcome.Resumed || len(w.Welcome.SID) < 22 {
		t.Fatalf("welcome: %+v", w.Welcome)
	}
	sid, key := w.Welcome.SID, w.Welcome.Key
	for i, m := range msgs(5) {
		wsWrite(t, c, text(uint64(i+1), m))
	}
	for i, m := range msgs(5) {
		want(t, wsReadData(t, c), wire.KindText, uint64(i+1), m)
	}
	// The client got 1..5 but says it only has 2: the server replays 3..5.
	// It sent 1..5; the server's welcome ack says what to resend (nothing).
	c.Close()
	c2, _, err := r.dialWS(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	wsWrite(t, c2, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: 1, SID: sid, Key: key, Ack: 2}})
	w = wsRead(t, c2)
	if w.Kind != wire.KindWelcome || !w.Welcome.Resumed || w.Welcome.Ack != 5 || w.Welcome.Key != "" {
		t.Fatalf("resume welcome: %+v", w.Welcome)
	}
	for i, m := range msgs(5)[2:] {
		want(t, wsReadData(t, c2), wire.KindText, uint64(i+3), m)
	}
	// A duplicate of seq 5 is dropped; 6 is delivered and echoed as 6.
	wsWrite(t, c2, text(5, "dup"))
	wsWrite(t, c2, wire.Frame{Kind: wire.KindBinary, Seq: 6, Data: []byte{0, 1, 2}})
	want(t, wsReadData(t, c2), wire.KindBinary, 6, "\x00\x01\x02")
}

func TestWebSocketRefusals(t *testing.T) {
	r := newRig(t, echo, &Options{MaxMessageBytes: 16})
	tests := []struct {
		name  string
		hello wire.Frame
		code  string
		close int
	}{
		{"unknown session", wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: 1, SID: "nope", Key: "nope"}}, wire.CodeSessionNotFound, 4410},
		{"wrong version", wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: 2}}, wire.CodeUnsupportedVersion, 4400},
		{"not a hello", text(1, "hi"), wire.CodeBadRequest, 4400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := r.dialWS(nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			wsWrite(t, c, tt.hello)
			f := wsRead(t, c)
			if f.Kind != wire.KindError || f.Error.Code != tt.code {
				t.Fatalf("got %s %+v, want error %s", f.Kind, f.Error, tt.code)
			}
			_, _, err = c.ReadMessage()
			if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != tt.close {
				t.Fatalf("close: %v, want %d", err, tt.close)
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		c, _, err := r.dialWS(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		wsWrite(t, c, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: 1}})
		wsRead(t, c)
		wsWrite(t, c, text(1, "this message is longer than sixteen bytes"))
		f := wsReadData(t, c)
		if f.Kind != wire.KindError || f.Error.Code != wire.CodeMessageTooLarge {
			t.Fatalf("got %s %+v", f.Kind, f.Error)
		}
	})
	t.Run("no subprotocol", func(t *testing.T) {
		d := websocket.Dialer{TLSClientConfig: r.pool}
		_, resp, err := d.Dial("wss"+r.srv.URL[len("https"):]+"/live", nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("cross-site origin", func(t *testing.T) {
		_, resp, err := r.dialWS(http.Header{"Origin": {"https://evil.example"}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("got %v", err)
		}
	})
}
