// Command server is a Tether chat server: every message from any session
// goes to every session, over whichever transport each client got through
// with (WebSocket, SSE or long-polling).
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/tether-sdk/tether/server"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:8080", "address to listen on")
	certFile := flag.String("cert", "", "TLS certificate chain (PEM); with -key the server speaks HTTPS")
	keyFile := flag.String("key", "", "TLS private key (PEM)")
	flag.Parse()

	var mu sync.Mutex
	room := map[*server.Session]bool{}

	h := server.NewHandler(func(s *server.Session) {
		mu.Lock()
		room[s] = true
		mu.Unlock()
		log.Printf("%s joined over %s (%s)", s.ID(), s.Transport(), s.Remote().Addr)
		defer func() {
			mu.Lock()
			delete(room, s)
			mu.Unlock()
			log.Printf("%s left", s.ID())
		}()
		for {
			m, err := s.Receive(s.Context()) // in order, exactly once, across reconnects
			if err != nil {
				return // the client closed, or its session expired
			}
			mu.Lock()
			members := make([]*server.Session, 0, len(room))
			for member := range room {
				members = append(members, member)
			}
			mu.Unlock()
			for _, member := range members {
				// Send returns once the message is queued for that member; it
				// waits only when the member is 4 MiB behind.
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				member.Send(ctx, m)
				cancel()
			}
		}
	}, nil)

	mux := http.NewServeMux()
	mux.Handle("/chat", h)
	srv := &http.Server{Addr: *addr, Handler: mux}
	go func() {
		// Ctrl-C or SIGTERM (a deploy): every session gets close 1001
		// (going away), so clients reconnect to the next process instead of
		// stopping; then the listener closes.
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Shutdown(ctx)
		srv.Shutdown(ctx)
	}()
	var err error
	if *certFile != "" {
		log.Printf("chat server on wss://%s/chat", *addr)
		err = srv.ListenAndServeTLS(*certFile, *keyFile)
	} else {
		// Plain HTTP: for loopback, or behind a TLS-terminating reverse proxy.
		log.Printf("chat server on ws://%s/chat", *addr)
		err = srv.ListenAndServe()
	}
	if err != http.ErrServerClosed {
		log.Fatal(err)
	}
	log.Print("chat server stopped")
}
