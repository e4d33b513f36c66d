package server

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/wire"
)

// PROTOCOL.md 3 and 6.1: tether_ack is required where the document says,
// in the strict decimal form; anything else is bad_request.
func TestAckParameterIsStrict(t *testing.T) {
	h := NewHandler(idle, nil)
	defer h.Shutdown(t.Context())
	w := welcomeOf(t, call(h, "GET", pollOpen, "192.0.2.1:1", nil))
	key := http.Header{wire.HeaderKey: {w.Key}}
	sid := "&tether_sid=" + w.SID
	tests := []struct {
		name, query string
		hd          http.Header
		status      int
	}{
		{"poll leading zero", "tether=poll&tether_v=1" + sid + "&tether_ack=007", nil, 400},
		{"poll missing ack", "tether=poll&tether_v=1" + sid, nil, 400},
		{"poll plus sign", "tether=poll&tether_v=1" + sid + "&tether_ack=%2B1", nil, 400},
		{"poll fraction", "tether=poll&tether_v=1" + sid + "&tether_ack=1.0", nil, 400},
		{"poll exponent", "tether=poll&tether_v=1" + sid + "&tether_ack=1e3", nil, 400},
		{"poll over 64 bits", "tether=poll&tether_v=1" + sid + "&tether_ack=18446744073709551616", nil, 400},
		{"poll empty", "tether=poll&tether_v=1" + sid + "&tether_ack=", nil, 400},
		{"poll-open resume leading zero", "tether=poll-open&tether_v=1" + sid + "&tether_ack=00", nil, 400},
		{"poll-open resume missing ack", "tether=poll-open&tether_v=1" + sid, nil, 400},
		{"sse resume missing ack", "tether=sse&tether_v=1" + sid, nil, 400},
		{"sse malformed Last-Event-ID", "tether=sse&tether_v=1" + sid + "&tether_ack=0", http.Header{"Last-Event-Id": {"01"}}, 400},
		{"poll-open resume well formed", "tether=poll-open&tether_v=1" + sid + "&tether_ack=0", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hd := key.Clone()
			for k, v := range tt.hd {
				hd[k] = v
			}
			rec := call(h, "GET", "/live?"+tt.query, "192.0.2.1:1", hd)
			if rec.Code != tt.status {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tt.status)
			}
			if tt.status == 400 {
				var e wire.Error
				if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Code != wire.CodeBadRequest {
					t.Fatalf("body %s, want bad_request", rec.Body)
				}
			}
		})
	}
}

// PROTOCOL.md 4.3: a gap over WebSocket closes that WebSocket with 1002,
// without an error frame, and the session lives on for the resume.
func TestWebSocketGapClosesWith1002(t *testing.T) {
	r := newRig(t, idle, nil)
	c, _, err := r.dialWS(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wsWrite(t, c, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: 1}})
	w := wsRead(t, c).Welcome
	wsWrite(t, c, text(2, "a gap: seq 2 before 1"))
	for {
		mt, msg, err := c.ReadMessage()
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != wire.CloseProtocol {
				t.Fatalf("close: %v, want %d", err, wire.CloseProtocol)
			}
			break
		}
		if f, _ := wire.ParseWS(mt == websocket.BinaryMessage, msg, 0); f.Kind == wire.KindError {
			t.Fatalf("an error frame %+v before the 1002 close; PROTOCOL.md 4.3 says close only", f.Error)
		}
	}
	if s := r.h.lookup(w.SID, w.Key); s == nil || s.Context().Err() != nil {
		t.Fatal("the session ended with the WebSocket; a gap closes only the transport")
	}
}
