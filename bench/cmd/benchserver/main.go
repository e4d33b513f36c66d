// Command benchserver is the remote side of Tether's benchmarks, run in its
// own process (pinned to a core by the harness with taskset).
//
//	benchserver serve -certs DIR [-listen 127.0.0.1:0]
//
// serves every endpoint of package srv over TLS and prints its base URL
// (https://127.0.0.1:PORT) on one line of stdout.
//
// With -redis URL the Tether echo endpoints keep their sessions in Redis
// (server/redisstore), named -node: several benchservers on one Redis serve
// any request of any session (the multi-node rows).
//
//	benchserver hole -certs DIR -tether URL -sio URL
//
// is a reverse proxy that never answers a WebSocket upgrade (the
// black-holed upgrade of the network rows) and forwards everything else:
// /socket.io/ to the Socket.IO server at -sio, the rest to -tether.
//
//	benchserver peer -certs DIR -url wss://... -mode recv|send
//
// is a Tether client for the server-side testing.B benchmarks: recv
// receives until the End marker and then sends "done"; send answers each
// push request from the server with that many messages.
//
// Both exit when their standard input closes, so they never outlive the
// process that started them.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/tether-sdk/tether/bench/internal/rig"
	"github.com/tether-sdk/tether/bench/internal/srv"
	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/server"
	"github.com/tether-sdk/tether/server/redisstore"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("benchserver: ")
	if len(os.Args) < 2 {
		log.Fatal("usage: benchserver serve|peer [flags]")
	}
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2:])
	case "hole":
		hole(os.Args[2:])
	case "peer":
		peer(os.Args[2:])
	default:
		log.Fatalf("unknown command %q", os.Args[1])
	}
}

func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	dir := fs.String("certs", "", "directory with ca.pem, cert.pem, key.pem (made if missing)")
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	redisURL := fs.String("redis", "", "keep the Tether echo sessions in the Redis at `URL` (redis://HOST:PORT/DB)")
	node := fs.String("node", "", "this node's name in the shared store (with -redis)")
	fs.Parse(args)
	var echoOpts *server.Options
	if *redisURL != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		st, err := redisstore.Open(ctx, *redisURL, nil)
		cancel()
		if err != nil {
			log.Fatalf("-redis %s: %v", *redisURL, err)
		}
		defer st.Close()
		echoOpts = &server.Options{Shared: st, Node: *node}
	}
	if err := rig.Certs(*dir); err != nil {
		log.Fatal(err)
	}
	rig.RaiseFileLimit()
	tc, err := rig.ServerTLS(*dir)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Mux(echoOpts), TLSConfig: tc, ErrorLog: log.New(io.Discard, "", 0)}
	fmt.Printf("https://%s\n", ln.Addr())
	log.Fatal(hs.ServeTLS(ln, "", ""))
}

func peer(args []string) {
	fs := flag.NewFlagSet("peer", flag.ExitOnError)
	dir := fs.String("certs", "", "directory with ca.pem")
	url := fs.String("url", "", "Tether URL")
	mode := fs.String("mode", "recv", "recv or send")
	fs.Parse(args)
	pool, err := rig.Pool(*dir)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	c, err := client.Dial(ctx, *url, rig.TetherOptions(pool))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(context.Background())
	payload := rig.Payload(16 << 20)
	send := func(p []byte) error { return c.Send(ctx, client.Message{Binary: true, Data: p}) }
	for {
		m, err := c.Receive(ctx)
		if err != nil {
			return
		}
		switch *mode {
		case "recv":
			if rig.IsEnd(m.Data) {
				if send([]byte("done")) != nil {
					return
				}
			}
		case "send":
			req, err := rig.ParsePush(m.Data)
			if err != nil {
				log.Fatal(err)
			}
			if _, err := rig.Pusher(req, payload, send); err != nil {
				return
			}
			fctx, cancel := context.WithTimeout(ctx, time.Minute)
			c.Flush(fctx)
			cancel()
		}
	}
}
