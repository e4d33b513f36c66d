package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/server"
)

// An echo endpoint: one function per session loops on Receive. A Tether
// client reaches it over WebSocket, SSE or long-polling alike.
func ExampleNewHandler() {
	h := server.NewHandler(func(s *server.Session) {
		for {
			m, err := s.Receive(s.Context())
			if err != nil {
				return // closed, expired or shut down
			}
			if err := s.Send(s.Context(), m); err != nil {
				return
			}
		}
	}, nil)
	mux := http.NewServeMux()
	mux.Handle("/live", h)
	srv := httptest.NewServer(mux) // plaintext on loopback: fine for an example
	defer srv.Close()
	defer h.Shutdown(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := strings.Replace(srv.URL, "http://", "ws://", 1) + "/live"
	for _, tr := range []string{client.TransportWebSocket, client.TransportSSE, client.TransportLongPoll} {
		c, err := client.Dial(ctx, url, &client.Options{Transports: []string{tr}})
		if err != nil {
			fmt.Println(err)
			return
		}
		c.Send(ctx, client.Text("hello over "+tr))
		m, err := c.Receive(ctx)
		fmt.Println(string(m.Data), err)
		c.Close(ctx)
	}
	// Output:
	// hello over websocket <nil>
	// hello over sse <nil>
	// hello over longpoll <nil>
}

// Options bound what one session and one client address may hold, decide
// who may connect, and say which proxies' forwarding headers to believe.
// SECURITY.md lists every limit and its default.
func ExampleOptions() {
	opts := &server.Options{
		AllowedOrigins: []string{"https://app.example.com"},
		AllowedHosts:   []string{"live.example.com"},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}, // the load balancers
		Authenticate: func(r *http.Request) (any, error) {
			if r.Header.Get("Authorization") != "Bearer let-me-in" {
				return nil, fmt.Errorf("bad token")
			}
			return "user-1", nil // Session.Auth
		},
		MaxMessageBytes: 64 << 10,
		SessionTTL:      5 * time.Minute,
	}
	h := server.NewHandler(func(s *server.Session) { <-s.Context().Done() }, opts)
	defer h.Shutdown(context.Background())
	fmt.Println(h.Sessions())
	// Output: 0
}

// Shutdown on SIGTERM: every client is told the server is going away (close
// 1001) and reconnects, to this process's successor.
func ExampleHandler_Shutdown() {
	h := server.NewHandler(func(s *server.Session) { <-s.Context().Done() }, nil)
	srv := &http.Server{Addr: "127.0.0.1:0", Handler: h}
	// In main: signal.NotifyContext(ctx, syscall.SIGTERM); <-ctx.Done(); then:
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := h.Shutdown(ctx) // sessions first: their clients are told to reconnect
	srv.Shutdown(ctx)      // then the listener and idle connections
	fmt.Println(err)
	// Output: <nil>
}
