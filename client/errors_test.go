//go:build !js

package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/server"
	"github.com/tether-sdk/tether/transport"
)

func wsURL(srv *httptest.Server, path string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + path
}

func dialCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A refused origin is a *client.ServerError reachable from outside the
// module, classed as final (config), and stops Dial at once.
func TestForbiddenOriginIsAPublicServerError(t *testing.T) {
	h := server.NewHandler(func(s *server.Session) {}, &server.Options{AllowedOrigins: []string{"https://app.example.com"}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	_, err := client.Dial(dialCtx(t), wsURL(srv, "/"), &client.Options{Header: http.Header{"Origin": {"https://evil.example.com"}}})
	var se *client.ServerError
	if !errors.As(err, &se) || se.Code != client.CodeForbiddenOrigin || se.Status != http.StatusForbidden {
		t.Fatalf("got %v, want a ServerError %s", err, client.CodeForbiddenOrigin)
	}
	if cl := transport.Classify(err); cl != transport.ClassConfig || !cl.Permanent() {
		t.Fatalf("class %v, want config (final)", cl)
	}
	var ce *client.ConnectError
	if errors.As(err, &ce) {
		t.Fatalf("a refused origin must stop at once, not try every transport: %v", err)
	}
}

func TestOptionsAreValidated(t *testing.T) {
	for name, o := range map[string]*client.Options{
		"unknown transport": {Transports: []string{client.TransportWebSocket, "webtransport"}},
		"raw with fallback": {Raw: true, Transports: []string{client.TransportSSE}},
		"empty transports":  {Transports: []string{}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := client.Dial(context.Background(), "ws://127.0.0.1:1/", o)
			var ce *transport.ConfigError
			if !errors.As(err, &ce) || !strings.HasPrefix(ce.Field, "Options.Transports") {
				t.Fatalf("got %v, want a ConfigError for Options.Transports", err)
			}
		})
	}
}

// A plain WebSocket server that does not speak tether.v1: a protocol error,
// final, that says to use raw mode.
func TestPlainWebSocketServerSaysUseRaw(t *testing.T) {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := up.Upgrade(w, r, nil); err == nil {
			c.Close()
		}
	}))
	defer srv.Close()
	_, err := client.Dial(dialCtx(t), wsURL(srv, "/"), &client.Options{Transports: []string{client.TransportWebSocket}})
	var pe *client.ProtocolError
	if !errors.As(err, &pe) || transport.Classify(err) != transport.ClassProtocol {
		t.Fatalf("got %v (class %v), want a protocol error", err, transport.Classify(err))
	}
	if !strings.Contains(err.Error(), "does not speak tether.v1") || !strings.Contains(err.Error(), "Options.Raw") || !strings.Contains(err.Error(), "--raw") {
		t.Fatalf("message %q", err)
	}
}

// A 404 says to check the path; no message carries the session id.
func TestNotFoundSaysCheckThePath(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := client.Dial(dialCtx(t), wsURL(srv, "/nowhere"), nil)
	var ce *client.ConnectError
	if !errors.As(err, &ce) || len(ce.Attempts) != 3 {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "check the URL path") || strings.Contains(err.Error(), "proxy") {
		t.Fatalf("message %q", err)
	}
}

// A server whose CA is not trusted: the transport is named and the message
// says how to trust it.
func TestUnknownCASaysTrustIt(t *testing.T) {
	srv := httptest.NewTLSServer(server.NewHandler(func(*server.Session) {}, nil))
	defer srv.Close()
	srv.Config.ErrorLog = nil
	_, err := client.Dial(dialCtx(t), "wss"+strings.TrimPrefix(srv.URL, "https"), &client.Options{Dial: &transport.Config{Proxy: transport.NoProxy}})
	if transport.Classify(err) != transport.ClassTLS {
		t.Fatalf("got %v (class %v)", err, transport.Classify(err))
	}
	// The first attempt to fail names itself: websocket, or on a loaded
	// machine long-polling raced after RaceDelay (the same TLS failure).
	named := strings.Contains(err.Error(), "websocket") || strings.Contains(err.Error(), "longpoll")
	if !named || !strings.Contains(err.Error(), "trust the server's CA") || !strings.Contains(err.Error(), "--cacert") {
		t.Fatalf("message %q", err)
	}
}
