// Command ticker is a plain WebSocket server (gorilla/websocket, no Tether)
// that sends every client a JSON tick each second: the feed that
// examples/feed consumes. Stop and restart it to watch the consumer
// reconnect.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:8081", "address to listen on")
	flag.Parse()
	up := websocket.Upgrader{}
	start := time.Now()

	http.HandleFunc("/ticks", func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return // the upgrader answered the client
		}
		defer conn.Close()
		log.Printf("%s subscribed", r.RemoteAddr)
		// Reading is what answers the client's pings (and notices it left).
		gone := make(chan struct{})
		go func() {
			defer close(gone)
			for {
				if _, _, err := conn.ReadMessage(); err != nil {
					return
				}
			}
		}()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case now := <-tick.C:
				msg, _ := json.Marshal(map[string]any{"uptime_s": int(now.Sub(start).Seconds()), "time": now.Format(time.TimeOnly)})
				if conn.WriteMessage(websocket.TextMessage, msg) != nil {
					return
				}
			case <-gone:
				log.Printf("%s left", r.RemoteAddr)
				return
			}
		}
	})
	log.Printf("ticker on ws://%s/ticks", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
