//go:build !js

package client_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/server"
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
	fmt.Println("connected over", <-connected)
	// Output: connected over longpoll
}
