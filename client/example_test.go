//go:build !js

package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/server"
	"github.com/tether-sdk/tether/transport"
)

// echoServer starts a Tether echo server on loopback (plain HTTP is allowed
// there) and returns its ws:// URL.
func echoServer() (string, func()) {
	h := server.NewHandler(func(s *server.Session) {
		for {
			m, err := s.Receive(s.Context())
			if err != nil {
				return
			}
			s.Send(s.Context(), m)
		}
	}, nil)
	srv := httptest.NewServer(h)
	return "ws" + strings.TrimPrefix(srv.URL, "http"), func() {
		h.Shutdown(context.Background())
		srv.Close()
	}
}

func Example() {
	url, stop := echoServer()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.Dial(ctx, url, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(context.Background())
	c.Send(ctx, client.Text("hello"))
	m, err := c.Receive(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Transport(), string(m.Data))
	// Output: websocket hello
}

func ExampleOptions_events() {
	url, stop := echoServer()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	connected := make(chan string, 1)
	c, err := client.Dial(ctx, url, &client.Options{
		Transports: []string{"longpoll"},
		OnEvent: func(e client.Event) {
			if ev, ok := e.(client.ConnectedEvent); ok {
				connected <- ev.Transport
			}
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(context.Background())
	// Dial returns after OnEvent received the ConnectedEvent.
	fmt.Println("connected over", <-connected)
	// Output: connected over longpoll
}

// Errors say what the server answered and what the client did about it.
func ExampleServerError() {
	h := server.NewHandler(func(*server.Session) {}, &server.Options{AllowedOrigins: []string{"https://app.example.com"}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, err := client.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &client.Options{
		Header: http.Header{"Origin": {"https://elsewhere.example.com"}},
	})
	var se *client.ServerError
	if errors.As(err, &se) {
		fmt.Println(se.Code, se.Status, transport.Classify(err), transport.Classify(err).Permanent())
	}
	// Output: forbidden_origin 403 config true
}
