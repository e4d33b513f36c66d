//go:build !js

package client

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tether-sdk/tether/server"
	"github.com/tether-sdk/tether/transport"
)

// A server whose max is above the client's MaxMessageBytes cannot make the
// client take a larger message (issue 10): on every transport the link
// fails with a *transport.LimitError and the client does not deliver it,
// and the client does not send one over its own bound either.
func TestServerMaxNeverRaisesTheClients(t *testing.T) {
	const own = 64 << 10
	big := bytes.Repeat([]byte("a"), 100<<10)
	for _, tr := range []string{"websocket", "sse", "longpoll"} {
		t.Run(tr, func(t *testing.T) {
			r := newRig(t, func(s *server.Session) {
				s.Send(s.Context(), server.Message{Data: big})
				<-s.Context().Done()
			}, &server.Options{MaxMessageBytes: 4 << 20}, nil)
			ev := newEvents()
			o := r.opts(ev)
			o.Transports = []string{tr}
			o.MaxMessageBytes = own
			c := mustDial(t, r.url(), o)
			e := ev.waitFor(t, 0, "disconnected", func(e Event) bool { _, ok := e.(DisconnectedEvent); return ok })
			if cause := e.(DisconnectedEvent).Cause; !errors.Is(cause, transport.ErrLimit) {
				t.Errorf("disconnected by %v, want a *transport.LimitError", cause)
			}
			if err := c.Send(context.Background(), Text(string(big))); !errors.Is(err, ErrTooLarge) {
				t.Errorf("Send of %d bytes: %v, want ErrTooLarge", len(big), err)
			}
		})
	}
}
