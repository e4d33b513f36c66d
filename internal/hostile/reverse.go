package hostile

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
)

// reverse is the reverse-proxy machinery shared by [StripUpgrade] and
// [Buffering]: an http.Server on 127.0.0.1 in front of an
// httputil.ReverseProxy, with every connection and handler tracked.
type reverse struct {
	ln       net.Listener
	t        *tracker
	srv      *http.Server
	tr       *http.Transport
	scheme   string
	requests atomic.Int64
	stripped atomic.Int64
}

// reverseConfig is what the concrete proxies customise.
type reverseConfig struct {
	backend    string
	backendTLS *tls.Config
	cert       *tls.Certificate
	strip      bool // remove upgrade headers
	buffer     int  // if > 0, hold responses back in chunks of this size
}

var discardLog = log.New(io.Discard, "", 0)

func newReverse(cfg reverseConfig) (*reverse, error) {
	target, err := url.Parse(cfg.backend)
	if err != nil {
		return nil, fmt.Errorf("hostile: backend URL: %w", err)
	}
	if target.Scheme != "http" && target.Scheme != "https" || target.Host == "" {
		return nil, fmt.Errorf("hostile: backend URL %q is not http(s)://host", cfg.backend)
	}
	ln, err := listenLocal()
	if err != nil {
		return nil, err
	}
	r := &reverse{ln: ln, t: newTracker(), scheme: "http"}
	r.tr = &http.Transport{
		DialContext:         r.t.dialTracked,
		TLSClientConfig:     cfg.backendTLS,
		ForceAttemptHTTP2:   false,
		MaxIdleConnsPerHost: 16,
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			if cfg.strip {
				stripUpgrade(pr.Out.Header)
			}
		},
		Transport:     r.tr,
		FlushInterval: -1,
		ErrorLog:      discardLog,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			w.WriteHeader(http.StatusBadGateway)
		},
		ModifyResponse: func(res *http.Response) error {
			if cfg.strip && res.StatusCode == http.StatusSwitchingProtocols {
				return errors.New("hostile: backend switched protocols despite stripped upgrade")
			}
			return nil
		},
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !r.t.enter() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		defer r.t.wg.Done()
		r.requests.Add(1)
		if cfg.strip && hasUpgrade(req.Header) {
			r.stripped.Add(1)
			req = req.Clone(req.Context())
			stripUpgrade(req.Header)
		}
		if cfg.buffer <= 0 {
			rp.ServeHTTP(w, req)
			return
		}
		bw := &bufferWriter{w: w, n: cfg.buffer}
		rp.ServeHTTP(bw, req)
		bw.finish() // not deferred: after a panic (aborted copy) send nothing more
	})
	r.srv = &http.Server{
		Handler:     handler,
		ErrorLog:    discardLog,
		BaseContext: func(net.Listener) context.Context { return r.t.ctx },
	}
	var l net.Listener = trackedListener{Listener: ln, t: r.t}
	if cfg.cert != nil {
		r.scheme = "https"
		l = tls.NewListener(l, &tls.Config{
			Certificates: []tls.Certificate{*cfg.cert},
			NextProtos:   []string{"http/1.1"},
		})
	}
	r.t.goFunc(func() { r.srv.Serve(l) })
	return r, nil
}

func (r *reverse) addr() string { return r.ln.Addr().String() }

func (r *reverse) url() string { return r.scheme + "://" + r.addr() }

func (r *reverse) close() error {
	r.t.mu.Lock()
	r.t.closed = true // refuse new handlers before Serve stops
	r.t.mu.Unlock()
	err := r.srv.Close()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	r.t.shutdown()
	r.t.wait()
	r.tr.CloseIdleConnections()
	return err
}

// hasUpgrade reports whether h asks for a protocol upgrade.
func hasUpgrade(h http.Header) bool {
	if h.Get("Upgrade") != "" {
		return true
	}
	for _, v := range h.Values("Connection") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return true
			}
		}
	}
	return false
}

// stripUpgrade removes Upgrade, Connection (and the headers it names) and
// every Sec-WebSocket-* header from h.
func stripUpgrade(h http.Header) {
	for _, v := range h.Values("Connection") {
		for _, tok := range strings.Split(v, ",") {
			if tok = strings.TrimSpace(tok); tok != "" {
				h.Del(tok)
			}
		}
	}
	h.Del("Connection")
	h.Del("Upgrade")
	h.Del("Http2-Settings")
	for k := range h {
		if strings.HasPrefix(http.CanonicalHeaderKey(k), "Sec-Websocket-") {
			delete(h, k)
		}
	}
}
