//go:build !js

// Command server is the Chromium tests' server (wasm/test/run.sh): one https
// origin with a fresh test CA (internal/certs) that serves the test pages at
// /, the bundle at /dist/, a Tether endpoint at /live (server.Handler), and
// controls at /ctl/: cut (close every connection, mid-stream), cuts (how
// many connections were cut so far), freeze (every WebSocket's connection
// stops moving bytes, without closing: a dead path), blockws?on=1|0 (refuse WebSocket
// upgrades with 400, as a proxy without Upgrade forwarding) and sessions
// (how many are live). It writes the CA to -certs and the port to -portfile.
// Test-only: it binds to 127.0.0.1.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tether-sdk/tether/internal/certs"
	"github.com/tether-sdk/tether/server"
)

func main() {
	certDir := flag.String("certs", "", "folder for ca.pem, cert.pem, key.pem (written)")
	www := flag.String("www", "wasm/test/www", "test pages, served at /")
	dist := flag.String("dist", "wasm/dist", "the bundle, served at /dist/")
	portFile := flag.String("portfile", "", "file to write the port to")
	flag.Parse()
	if err := run(*certDir, *www, *dist, *portFile); err != nil {
		log.Fatal(err)
	}
}

func run(certDir, www, dist, portFile string) error {
	if certDir == "" || portFile == "" {
		return fmt.Errorf("-certs and -portfile are required")
	}
	if _, _, err := certs.SelfSigned(certDir); err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(certDir, certs.CertFile), filepath.Join(certDir, certs.KeyFile))
	if err != nil {
		return err
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	tl := &tracking{Listener: raw, conns: map[net.Conn]*trackedConn{}}
	h := server.NewHandler(serve, &server.Options{SessionTTL: time.Minute})
	mux := http.NewServeMux()
	var blockWS atomic.Bool
	mux.Handle("/live", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if blockWS.Load() && r.Header.Get("Upgrade") != "" {
			// What a reverse proxy that was never set up for WebSockets does.
			http.Error(w, "no upgrades here", http.StatusBadRequest)
			return
		}
		h.ServeHTTP(w, r)
	}))
	// Fast heartbeats and a short timeout, for the liveness scenario.
	mux.Handle("/live-fast", server.NewHandler(serve, &server.Options{SessionTTL: time.Minute, Heartbeat: 500 * time.Millisecond, Timeout: 2 * time.Second}))
	mux.HandleFunc("/ctl/freeze", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		log.Printf("freeze: %d WebSockets", tl.freeze())
	})
	// Open to pages of every origin (the cross-origin scenario's allowed case).
	mux.Handle("/live-open", server.NewHandler(serve, &server.Options{SessionTTL: time.Minute, AllowedOrigins: []string{"*"}}))
	mux.HandleFunc("/ctl/blockws", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		blockWS.Store(r.URL.Query().Get("on") == "1")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/ctl/cut", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		// After the answer is out: close every connection (this one too).
		time.AfterFunc(20*time.Millisecond, func() { log.Printf("cut: %d connections", tl.cut()) })
	})
	mux.HandleFunc("/ctl/cuts", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, tl.total.Load())
	})
	mux.HandleFunc("/ctl/sessions", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, h.Sessions())
	})
	mux.Handle("/dist/", http.StripPrefix("/dist/", noCache(http.FileServer(http.Dir(dist)))))
	mux.Handle("/", noCache(http.FileServer(http.Dir(www))))
	srv := &http.Server{Handler: mux, ConnState: tl.connState, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, ErrorLog: log.New(os.Stderr, "http: ", 0)}
	port := raw.Addr().(*net.TCPAddr).Port
	if err := os.WriteFile(portFile+".tmp", []byte(strconv.Itoa(port)), 0o644); err != nil {
		return err
	}
	if err := os.Rename(portFile+".tmp", portFile); err != nil {
		return err
	}
	log.Printf("serving https://127.0.0.1:%d/", port)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		tl.cut()
	}()
	if err := srv.ServeTLS(tl, "", ""); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// serve echoes every message, except commands:
//
//	stream:N   sends s:1 .. s:N (pausing 2 ms every 10, so that cuts land mid-stream)
//	close:C:R  closes the session with code C and reason R
func serve(s *server.Session) {
	ctx := s.Context()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		m, err := s.Receive(ctx)
		if err != nil {
			return
		}
		if !m.Binary {
			txt := string(m.Data)
			if n, ok := strings.CutPrefix(txt, "stream:"); ok {
				count, _ := strconv.Atoi(n)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 1; i <= count; i++ {
						if s.Send(ctx, server.Text("s:"+strconv.Itoa(i))) != nil {
							return
						}
						if i%10 == 0 {
							time.Sleep(2 * time.Millisecond)
						}
					}
				}()
				continue
			}
			if rest, ok := strings.CutPrefix(txt, "close:"); ok {
				code, reason, _ := strings.Cut(rest, ":")
				c, _ := strconv.Atoi(code)
				s.Close(c, reason)
				return
			}
		}
		if s.Send(ctx, m) != nil {
			return
		}
	}
}

func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// tracking is a listener that remembers its connections, so that cut can
// close them all (hijacked WebSockets too).
type tracking struct {
	net.Listener
	mu    sync.Mutex
	conns map[net.Conn]*trackedConn
	total atomic.Int64 // connections cut so far
}

func (t *tracking) Accept() (net.Conn, error) {
	c, err := t.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, t: t, dead: make(chan struct{})}
	t.mu.Lock()
	t.conns[c] = tc
	t.mu.Unlock()
	return tc, nil
}

// connState remembers hijacked (WebSocket) connections, for freeze.
func (t *tracking) connState(c net.Conn, s http.ConnState) {
	if s != http.StateHijacked {
		return
	}
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if tc, ok := c.(*trackedConn); ok {
		tc.hijacked.Store(true)
	}
}

// freeze stops every hijacked connection: reads and writes block until
// the connection is closed.
func (t *tracking) freeze() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, tc := range t.conns {
		if tc.hijacked.Load() {
			tc.frozen.Store(true)
			n++
		}
	}
	return n
}

func (t *tracking) cut() int {
	t.mu.Lock()
	all := make([]*trackedConn, 0, len(t.conns))
	for _, tc := range t.conns {
		all = append(all, tc)
	}
	t.mu.Unlock()
	t.total.Add(int64(len(all)))
	for _, tc := range all {
		tc.Close()
	}
	return len(all)
}

type trackedConn struct {
	net.Conn
	t        *tracking
	once     sync.Once
	dead     chan struct{} // closed by Close
	hijacked atomic.Bool
	frozen   atomic.Bool
}

func (c *trackedConn) Read(p []byte) (int, error) {
	if c.frozen.Load() {
		<-c.dead
		return 0, net.ErrClosed
	}
	return c.Conn.Read(p)
}

func (c *trackedConn) Write(p []byte) (int, error) {
	if c.frozen.Load() {
		<-c.dead
		return 0, net.ErrClosed
	}
	return c.Conn.Write(p)
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.t.mu.Lock()
		delete(c.t.conns, c.Conn)
		c.t.mu.Unlock()
		close(c.dead)
	})
	return c.Conn.Close()
}
