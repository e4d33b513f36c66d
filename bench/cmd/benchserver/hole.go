package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"

	"github.com/tether-sdk/tether/bench/internal/rig"
)

// hole serves a reverse proxy whose WebSocket upgrades are accepted and
// never answered (a middlebox that black-holes them); every other request
// goes to the backend, streamed (SSE passes).
func hole(args []string) {
	fs := flag.NewFlagSet("hole", flag.ExitOnError)
	dir := fs.String("certs", "", "directory with ca.pem, cert.pem, key.pem")
	tether := fs.String("tether", "", "Tether backend base URL (https://...)")
	sio := fs.String("sio", "", "Socket.IO backend base URL (https://...)")
	fs.Parse(args)
	tc, err := rig.ServerTLS(*dir)
	if err != nil {
		log.Fatal(err)
	}
	pool, err := rig.Pool(*dir)
	if err != nil {
		log.Fatal(err)
	}
	proxy := func(base string) *httputil.ReverseProxy {
		u, err := url.Parse(base)
		if err != nil || u.Host == "" {
			log.Fatalf("bad backend URL %q", base)
		}
		rp := httputil.NewSingleHostReverseProxy(u)
		rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 64}
		rp.FlushInterval = -1
		rp.ErrorLog = log.New(io.Discard, "", 0)
		return rp
	}
	toTether, toSIO := proxy(*tether), proxy(*sio)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			<-r.Context().Done() // never answered; the client gives up
			return
		}
		if strings.HasPrefix(r.URL.Path, "/socket.io/") {
			toSIO.ServeHTTP(w, r)
			return
		}
		toTether.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: h, TLSConfig: tc, ErrorLog: log.New(io.Discard, "", 0)}
	fmt.Printf("https://%s\n", ln.Addr())
	log.Fatal(hs.ServeTLS(ln, "", ""))
}
