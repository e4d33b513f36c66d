// Package srv is the server side of the benchmark: one mux with an echo, a
// push and a sink endpoint for each library (Tether, gorilla/websocket,
// coder/websocket), Tether endpoints whose WebSocket upgrade is refused or
// black-holed, and /stats.
package srv

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/pprof"

	coder "github.com/coder/websocket"
	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/bench/internal/rig"
	"github.com/tether-sdk/tether/server"
)

// Paths of the endpoints.
const (
	TetherEcho = "/t/echo"
	TetherPush = "/t/push"
	// TetherPushBigBuffer is TetherPush with Options.MaxBufferedBytes 64 MiB.
	TetherPushBigBuffer = "/t/push-bigbuf"
	TetherSink          = "/t/sink"
	TetherRefuse        = "/t/refuse" // echo; a WebSocket upgrade gets 400
	TetherHole          = "/t/hole"   // echo; a WebSocket upgrade is never answered
	GorillaEcho         = "/g/echo"
	GorillaPush         = "/g/push"
	GorillaSink         = "/g/sink"
	CoderEcho           = "/c/echo"
	CoderPush           = "/c/push"
	CoderSink           = "/c/sink"
	Stats               = "/stats"
)

// Paths returns the echo, push and sink paths of a client library (Tether
// raw mode talks to the gorilla server).
func Paths(lib string) (echo, push, sink string) {
	switch lib {
	case rig.LibTether:
		return TetherEcho, TetherPush, TetherSink
	case rig.LibCoder:
		return CoderEcho, CoderPush, CoderSink
	}
	return GorillaEcho, GorillaPush, GorillaSink
}

// Mux returns the benchmark server's handler.
func Mux() *http.ServeMux {
	payload := rig.Payload(16 << 20)
	mux := http.NewServeMux()
	echo := server.NewHandler(func(s *server.Session) {
		ctx := s.Context()
		for {
			m, err := s.Receive(ctx)
			if err != nil || s.Send(ctx, m) != nil {
				return
			}
		}
	}, nil)
	mux.Handle(TetherEcho, echo)
	mux.Handle(TetherRefuse, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			http.Error(w, "WebSocket upgrades are not allowed here", http.StatusBadRequest)
			return
		}
		echo.ServeHTTP(w, r)
	}))
	mux.Handle(TetherHole, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			<-r.Context().Done() // never answer; the client gives up
			return
		}
		echo.ServeHTTP(w, r)
	}))
	mux.Handle(TetherPush, tetherPush(payload, nil))
	// The same with 16x the default send buffer: shows how much of the SSE
	// row is the flow-control window (a diagnostic row).
	mux.Handle(TetherPushBigBuffer, tetherPush(payload, &server.Options{MaxBufferedBytes: 64 << 20}))
	mux.Handle(TetherSink, server.NewHandler(func(s *server.Session) {
		for {
			if _, err := s.Receive(s.Context()); err != nil {
				return
			}
		}
	}, nil))
	gorillaAndCoder(mux, payload)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc(Stats, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(rig.Self(r.URL.Query().Get("gc") == "1"))
	})
	return mux
}

// tetherPush serves push requests on a Tether endpoint.
func tetherPush(payload []byte, opts *server.Options) http.Handler {
	return server.NewHandler(func(s *server.Session) {
		ctx := s.Context()
		for {
			m, err := s.Receive(ctx)
			if err != nil {
				return
			}
			req, err := rig.ParsePush(m.Data)
			if err != nil {
				s.Close(4000, err.Error())
				return
			}
			send := func(p []byte) error { return s.Send(ctx, server.Message{Binary: !req.Text, Data: p}) }
			if _, err := rig.Pusher(req, payload, send); err != nil {
				return
			}
		}
	}, opts)
}

// gorillaAndCoder adds the gorilla/websocket and coder/websocket endpoints.
func gorillaAndCoder(mux *http.ServeMux, payload []byte) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	gorilla := func(serve func(*websocket.Conn) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer c.Close()
			c.SetReadLimit(32 << 20)
			serve(c)
		}
	}
	mux.Handle(GorillaEcho, gorilla(func(c *websocket.Conn) error {
		for {
			mt, p, err := c.ReadMessage()
			if err != nil {
				return err
			}
			if err := c.WriteMessage(mt, p); err != nil {
				return err
			}
		}
	}))
	mux.Handle(GorillaPush, gorilla(func(c *websocket.Conn) error {
		for {
			_, m, err := c.ReadMessage()
			if err != nil {
				return err
			}
			req, err := rig.ParsePush(m)
			if err != nil {
				return err
			}
			mt := websocket.BinaryMessage
			if req.Text {
				mt = websocket.TextMessage
			}
			send := func(p []byte) error { return c.WriteMessage(mt, p) }
			if _, err := rig.Pusher(req, payload, send); err != nil {
				return err
			}
		}
	}))
	mux.Handle(GorillaSink, gorilla(func(c *websocket.Conn) error {
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return err
			}
		}
	}))

	kod := func(serve func(context.Context, *coder.Conn) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			c, err := coder.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer c.CloseNow()
			c.SetReadLimit(32 << 20)
			serve(context.Background(), c)
		}
	}
	mux.Handle(CoderEcho, kod(func(ctx context.Context, c *coder.Conn) error {
		for {
			mt, p, err := c.Read(ctx)
			if err != nil {
				return err
			}
			if err := c.Write(ctx, mt, p); err != nil {
				return err
			}
		}
	}))
	mux.Handle(CoderPush, kod(func(ctx context.Context, c *coder.Conn) error {
		for {
			_, m, err := c.Read(ctx)
			if err != nil {
				return err
			}
			req, err := rig.ParsePush(m)
			if err != nil {
				return err
			}
			mt := coder.MessageBinary
			if req.Text {
				mt = coder.MessageText
			}
			send := func(p []byte) error { return c.Write(ctx, mt, p) }
			if _, err := rig.Pusher(req, payload, send); err != nil {
				return err
			}
		}
	}))
	mux.Handle(CoderSink, kod(func(ctx context.Context, c *coder.Conn) error {
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return err
			}
		}
	}))
}
