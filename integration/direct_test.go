//go:build integration

package integration

import (
	"context"
	"testing"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/server"
)

// Scenario 1: direct TLS to the Go server: WebSocket.
func TestDirectTLS(t *testing.T) {
	row := scenario(t, 1, "direct TLS")
	b := newBackend(t, true, server.NewHandler(echo, nil), nil)
	ev := newEvents()
	c, el := dial(t, b.url(), opts(ev))
	row.connected(c.Transport(), el)
	if c.Transport() != "websocket" || c.State() != client.StateConnected || c.SessionID() == "" {
		t.Fatalf("transport %q, state %v, session %q", c.Transport(), c.State(), c.SessionID())
	}
	roundTrip(t, c, "direct", 500)
	if err := c.Send(context.Background(), client.Binary([]byte{0, 255, 128})); err != nil {
		t.Fatal(err)
	}
	m, err := c.Receive(context.Background())
	if err != nil || !m.Binary || string(m.Data) != "\x00\xff\x80" {
		t.Fatalf("binary echo: %+v %v", m, err)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	row.ended(c.Transport())
}
