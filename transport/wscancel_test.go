//go:build !js

package transport

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// A WebSocket dial whose upgrade is never answered (a black hole) ends when
// its context is canceled, not at the handshake timeout: a negotiation that
// won on another transport cancels the loser, and Client.Close waited for
// it (10 s in the bench's black-hole row).
func TestWebSocketDialEndsOnCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c // read nothing, answer nothing
		}
	}()
	d := mustDialer(t, "ws://"+ln.Addr().String()+"/live", &Config{Proxy: NoProxy})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := d.dialWebSocket(ctx, &wsOptions{HandshakeTimeout: time.Hour})
		done <- err
	}()
	conn := <-accepted
	defer conn.Close()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want an error wrapping context.Canceled", err)
		}
	case <-time.After(30 * time.Second): // a hang detector, not a timing assertion
		t.Fatal("the dial did not end when its context was canceled")
	}
}
