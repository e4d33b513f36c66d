//go:build !js

package transport

import (
	"context"
	"log/slog"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// gorillaBufs is what the gorilla connection under l holds: its write
// buffer (none: it comes from wsWriteBufs while gorilla writes) and its
// read buffer.
func gorillaBufs(l *wsLink) (write, read int) {
	v := reflect.ValueOf(l.conn).Elem()
	return v.FieldByName("writeBuf").Len(), v.FieldByName("br").Elem().FieldByName("buf").Len()
}

// An idle session link holds no write buffer, a read buffer of
// wsReadBuffer under gorilla and none of its own: not after the welcome,
// not after sending, not after a message it handed over.
func TestIdleLinkHoldsNoBuffers(t *testing.T) {
	p := newPKI(t)
	push := make(chan []byte, 1)
	up := websocket.Upgrader{Subprotocols: []string{wire.Subprotocol}}
	ts := newTarget(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		if _, _, err := c.ReadMessage(); err != nil { // the hello
			return
		}
		bin, enc, err := wire.AppendWS(nil, &wire.Frame{Kind: wire.KindWelcome, Welcome: &wire.Welcome{V: wire.Version, SID: "s1", Key: "k"}})
		if err != nil {
			t.Error(err)
			return
		}
		mt := websocket.TextMessage
		if bin {
			mt = websocket.BinaryMessage
		}
		if err := c.WriteMessage(mt, enc); err != nil {
			return
		}
		go func() {
			for m := range push {
				c.WriteMessage(websocket.BinaryMessage, m)
			}
		}()
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}))
	d := mustDialer(t, ts.wsURL("/custom"), &Config{RootCAs: p.ca.Pool()})
	env := &link.Env{Dialer: d, MaxMessage: 1 << 20, ConnectTimeout: 10 * time.Second, Logger: slog.New(slog.DiscardHandler)}
	l, err := dialWS(context.Background(), d, env, link.Attach{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	held := func(when string) {
		t.Helper()
		w, r := gorillaBufs(l)
		if w != 0 || r != wsReadBuffer || l.rbuf != nil {
			t.Fatalf("%s: gorilla holds a %d-byte write buffer and a %d-byte read buffer, the link a %d-byte one; want 0, %d, 0",
				when, w, r, cap(l.rbuf), wsReadBuffer)
		}
	}
	held("after the welcome")
	if err := l.Send(context.Background(), []wire.Frame{{Kind: wire.KindBinary, Seq: 1, Data: make([]byte, 3000)}}); err != nil {
		t.Fatal(err)
	}
	held("after a send")
	payload := make([]byte, 3000)
	push <- append(wire.AppendDataHeader(nil, wire.KindBinary, 1), payload...)
	close(push)
	f, err := l.Recv(context.Background())
	if err != nil || f.Kind != wire.KindBinary || len(f.Data) != len(payload) {
		t.Fatalf("Recv: %v %v, %d bytes", err, f.Kind, len(f.Data))
	}
	held("after a message handed over")
}
