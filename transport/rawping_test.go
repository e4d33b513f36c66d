//go:build !js

package transport

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// A raw link pings on its timer (no goroutine of its own) and keeps doing
// so, each ping after the last one's write; Close stops it.
func TestRawLinkPingsOnATimer(t *testing.T) {
	p := newPKI(t)
	pings := make(chan struct{}, 16)
	up := websocket.Upgrader{}
	ts := newTarget(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.SetPingHandler(func(data string) error {
			select {
			case pings <- struct{}{}:
			default:
			}
			return c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}))
	d := mustDialer(t, ts.wsURL("/custom"), &Config{RootCAs: p.ca.Pool()})
	env := &link.Env{Dialer: d, MaxMessage: 1 << 20, ConnectTimeout: 10 * time.Second, Raw: true,
		RawPingInterval: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	l, err := dialWS(context.Background(), d, env, link.Attach{})
	if err != nil {
		t.Fatal(err)
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		for {
			if _, err := l.Recv(context.Background()); err != nil {
				return // pongs are read here; ends at Close
			}
		}
	}()
	for i := range 3 {
		select {
		case <-pings:
		case <-time.After(20 * time.Second):
			t.Fatalf("ping %d never came", i+1)
		}
	}
	l.Close()
	<-read
}

// With permessage-deflate negotiated, messages go through gorilla's
// writer, compressed, and arrive intact.
func TestCompressedLinkWritesThroughGorilla(t *testing.T) {
	p := newPKI(t)
	got := make(chan string, 4)
	up := websocket.Upgrader{EnableCompression: true}
	ts := newTarget(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			got <- string(msg)
		}
	}))
	d := mustDialer(t, ts.wsURL("/custom"), &Config{RootCAs: p.ca.Pool()})
	env := &link.Env{Dialer: d, MaxMessage: 1 << 20, ConnectTimeout: 10 * time.Second, Raw: true, Compression: true,
		RawPingInterval: time.Minute, Logger: slog.New(slog.DiscardHandler)}
	l, err := dialWS(context.Background(), d, env, link.Attach{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if !l.deflate {
		t.Fatal("permessage-deflate not seen as negotiated")
	}
	if err := l.Send(context.Background(), []wire.Frame{{Kind: wire.KindText, Data: []byte("hello")}, {Kind: wire.KindText, Data: []byte("again")}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"hello", "again"} {
		if m := <-got; m != want {
			t.Fatalf("server read %q, want %q", m, want)
		}
	}
}
