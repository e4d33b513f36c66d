package server_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/server"
)

// A session the application closes with a "come back later" code (here
// 1012) sends its client round to resume; once the client has everything
// sent before the close, the resume is told session_not_found and the client
// goes on with a new session at once. Before: every resume within the close
// grace (10 s) got the welcome and the 1012 again, each a backoff later.
func TestAppCloseComeBackLaterEndsSession(t *testing.T) {
	for _, tr := range []string{client.TransportWebSocket, client.TransportSSE, client.TransportLongPoll} {
		t.Run(tr, func(t *testing.T) {
			var mu sync.Mutex
			sessions := 0
			h := server.NewHandler(func(s *server.Session) {
				mu.Lock()
				sessions++
				n := sessions
				mu.Unlock()
				if n == 1 {
					s.Send(s.Context(), server.Text("last"))
					if _, err := s.Receive(s.Context()); err != nil { // the client's "got it"
						return
					}
					s.Close(1012, "restarting the session")
					return
				}
				s.Send(s.Context(), server.Text("second session"))
				<-s.Context().Done()
			}, nil)
			srv := httptest.NewServer(h)
			defer srv.Close()
			defer h.Shutdown(context.Background())

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var evMu sync.Mutex
			var events []client.Event
			c, err := client.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &client.Options{
				Transports: []string{tr}, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
				OnEvent: func(e client.Event) { evMu.Lock(); events = append(events, e); evMu.Unlock() },
			})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(context.Background())
			if m, err := c.Receive(ctx); err != nil || string(m.Data) != "last" {
				t.Fatalf("first message %q %v", m.Data, err)
			}
			if err := c.Send(ctx, client.Text("got it")); err != nil {
				t.Fatal(err)
			}
			m, err := c.Receive(ctx)
			if errors.Is(err, client.ErrSessionLost) { // reported once, in Receive too
				m, err = c.Receive(ctx)
			}
			if err != nil || string(m.Data) != "second session" {
				t.Fatalf("after the 1012: %q %v", m.Data, err)
			}
			evMu.Lock()
			defer evMu.Unlock()
			resumed, lost := 0, 0
			for _, e := range events {
				switch e := e.(type) {
				case client.ConnectedEvent:
					if e.Resumed {
						resumed++
					}
				case client.SessionLostEvent:
					lost++
				}
			}
			if resumed != 0 || lost != 1 {
				t.Fatalf("after the application's 1012: %d resumed connects and %d session losses, want 0 and 1", resumed, lost)
			}
		})
	}
}
