// Command client is a Tether chat client: each line of stdin goes to the
// room, each message from the room is printed. It survives proxies that
// block WebSockets (falling back to SSE or long-polling), dropped
// connections and server restarts, without losing or repeating a line.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/transport"
)

func main() {
	url := flag.String("url", "ws://127.0.0.1:8080/chat", "chat server URL (wss:// for remote hosts)")
	name := flag.String("name", "anonymous", "your name in the room")
	cacert := flag.String("cacert", "", "PEM file of an extra CA to trust (e.g. a self-signed server's)")
	flag.Parse()

	opts := &client.Options{
		Dial: &transport.Config{}, // system roots, proxy from HTTPS_PROXY & co.
		OnEvent: func(e client.Event) {
			switch ev := e.(type) {
			case client.ConnectedEvent:
				log.Printf("connected over %s: %s", ev.Transport, ev.Reason)
			case client.TransportChangedEvent:
				log.Printf("moved from %s to %s: %s", ev.From, ev.To, ev.Reason)
			case client.DisconnectedEvent:
				log.Printf("connection lost (%v); reconnecting", ev.Cause)
			case client.SessionLostEvent:
				// The server forgot the session (a restart): the lines
				// sent but not acknowledged may not have reached the room.
				for _, m := range ev.Unacknowledged {
					log.Printf("not guaranteed to have reached the room: %s", m.Data)
				}
			}
		},
	}
	if *cacert != "" {
		opts.Dial.CAFiles = []string{*cacert}
	}
	ctx := context.Background()
	c, err := client.Dial(ctx, *url, opts)
	if err != nil {
		log.Fatal(err) // says which transports were tried and why each failed
	}

	go func() {
		for {
			m, err := c.Receive(ctx)
			if errors.Is(err, client.ErrSessionLost) {
				// Lines of the room sent while we were away may be missing.
				log.Print(err)
				continue
			}
			if err != nil {
				if err != client.ErrClosed { // not our own Close: say why
					log.Print(err)
				}
				return
			}
			fmt.Println(string(m.Data))
		}
	}()

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if err := c.Send(ctx, client.Text(*name+": "+in.Text())); err != nil {
			log.Fatal(err)
		}
	}
	c.Flush(ctx) // wait until the server has every line
	closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c.Close(closeCtx)
}
