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
