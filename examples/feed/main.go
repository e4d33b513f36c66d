// Command feed consumes a plain WebSocket feed (any server, not only
// Tether's) in raw mode: Tether brings the proxy support, TLS trust, pins,
// ping/pong liveness checks and reconnection with backoff; the server needs
// nothing special. Run the ticker next to it (go run ./examples/feed/ticker).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/tether-sdk/tether/client"
)

func main() {
	url := flag.String("url", "ws://127.0.0.1:8081/ticks", "plain WebSocket feed URL (wss:// for remote hosts)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c, err := client.Dial(ctx, *url, &client.Options{
		Raw:             true,             // a plain WebSocket server: no session protocol
		RawPingInterval: 5 * time.Second,  // a dead connection is noticed within 10 s
		InitialBackoff:  time.Second,      // reconnect after 0-1 s, then 0-2 s, ...
		MaxBackoff:      15 * time.Second, // ... up to 0-15 s, forever
		OnEvent: func(e client.Event) {
			switch ev := e.(type) {
			case client.ConnectedEvent:
				log.Printf("connected in %v", ev.Elapsed.Round(time.Millisecond))
			case client.ReconnectingEvent:
				log.Printf("feed lost (%v); retry %d in %v", ev.Cause, ev.Attempt, ev.Delay.Round(time.Millisecond))
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(context.Background())

	for {
		m, err := c.Receive(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Print(err) // a permanent failure (TLS, pin, bad URL)
			}
			return
		}
		// Raw mode promises order on one connection but no resume: what the
		// server sent while the feed was down is gone, as with any plain
		// WebSocket. Use a Tether server when every message counts.
		fmt.Println(string(m.Data))
	}
}
