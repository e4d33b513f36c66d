//go:build !js

package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/server"
	"github.com/tether-sdk/tether/transport"
)

// The registered links send a cancel the Tether server accepts (204), on
// the target's URL with its query kept; a server without PROTOCOL.md 4.8
// (400) is an error.
func TestRegisteredLinksCancelAttempt(t *testing.T) {
	var got string
	h := server.NewHandler(func(*server.Session) {}, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.RawQuery
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	o := &Options{Dial: &transport.Config{Proxy: transport.NoProxy}}
	d, err := newLinkDialer(strings.Replace(srv.URL, "http", "ws", 1)+"/rt?room=42", o)
	if err != nil {
		t.Fatal(err)
	}
	cc, ok := d.(attemptCanceler)
	if !ok {
		t.Fatal("the registered links cannot cancel attempts")
	}
	if err := cc.CancelAttempt(context.Background(), "Zp4rD0nYc1mE7uVh9sKxLg"); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"room=42", wire.ParamMode + "=" + wire.ModeCancel, wire.ParamAttempt + "=Zp4rD0nYc1mE7uVh9sKxLg"} {
		if !strings.Contains(got, w) {
			t.Fatalf("query %q lacks %q", got, w)
		}
	}
	if err := cc.CancelAttempt(context.Background(), "short"); err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("a refused cancel: %v, want an error naming the 400", err)
	}
	d.(*registeredLinks).close()
}
