//go:build !js

package transport

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/tether-sdk/tether/internal/certs"
)

// clearProxyEnv unsets every proxy variable for the test.
func clearProxyEnv(t *testing.T) {
	for _, n := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "REQUEST_METHOD"} {
		t.Setenv(n, "")
	}
}

func TestProxyFromEnvironmentSelection(t *testing.T) {
	clearProxyEnv(t)
	t.Setenv("HTTPS_PROXY", "http://secure-proxy:3128")
	t.Setenv("HTTP_PROXY", "plain-proxy:8080") // bare host:port means http://
	t.Setenv("NO_PROXY", "internal.example,.corp.example")
	f, err := ProxyFromEnvironment()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ target, want string }{
		{"wss://api.example.com/x", "http://secure-proxy:3128"},
		{"https://api.example.com/x", "http://secure-proxy:3128"},
		{"ws://api.example.com/x", "http://plain-proxy:8080"},
		{"http://api.example.com/x", "http://plain-proxy:8080"},
		{"wss://internal.example/x", ""},
		{"wss://a.internal.example/x", ""},
		{"wss://b.corp.example/x", ""},
		{"wss://127.0.0.1:8443/", ""}, // loopback is never proxied
		{"wss://localhost:8443/", ""},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.target)
		got, err := f(u)
		if err != nil {
			t.Fatal(err)
		}
		gs := ""
		if got != nil {
			gs = got.String()
		}
		if gs != tt.want {
			t.Errorf("proxy for %s = %q, want %q", tt.target, gs, tt.want)
		}
	}
}

func TestProxyFromEnvironmentLowerCaseWins(t *testing.T) {
	clearProxyEnv(t)
	t.Setenv("HTTPS_PROXY", "http://upper:1")
	t.Setenv("https_proxy", "http://lower:2")
	f, err := ProxyFromEnvironment()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := f(&url.URL{Scheme: "wss", Host: "example.com"})
	if got == nil || got.Host != "lower:2" {
		t.Fatalf("got %v, want lower:2", got)
	}
}

func TestBadProxyValues(t *testing.T) {
	for _, tt := range []struct{ variable, value string }{
		{"HTTPS_PROXY", "http://[::1"},
		{"HTTPS_PROXY", "socks5://proxy:1080"},
		{"HTTP_PROXY", "ftp://proxy:21"},
		{"HTTP_PROXY", "http://proxy:99999"},
		{"https_proxy", "http://proxy:3128/some/path"},
		{"HTTPS_PROXY", "http://:3128"},
	} {
		t.Run(tt.variable+"="+tt.value, func(t *testing.T) {
			clearProxyEnv(t)
			t.Setenv(tt.variable, tt.value)
			_, err := ProxyFromEnvironment()
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.variable {
				t.Fatalf("got %v, want a ConfigError naming %s", err, tt.variable)
			}
			// New reads the environment too, and fails the same way.
			if _, err := New("wss://example.com/", nil); !errors.As(err, &ce) {
				t.Fatalf("New: got %v", err)
			}
		})
	}
	if _, err := FixedProxy("http://user:pw@[::1"); err == nil {
		t.Fatal("FixedProxy accepted a bad URL")
	}
}

func TestProxyPasswordRedactedInErrors(t *testing.T) {
	_, err := FixedProxy("ftp://user:hunter2@proxy:21")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error leaks the password or is missing: %v", err)
	}
}

// TestDialThroughEnvironmentProxy dials a non-loopback name (loopback is never
// proxied): the proxy maps it to the local test server.
func TestDialThroughEnvironmentProxy(t *testing.T) {
	ca, _ := certs.NewCA("env root")
	leaf, _ := ca.Issue("feed.tether.test")
	ts := newTarget(t, pki{ca, leaf}, nil)
	px := newTestProxy(t, nil, "", "", map[string]string{"feed.tether.test:443": ts.Listener.Addr().String()})
	clearProxyEnv(t)
	t.Setenv("HTTPS_PROXY", "http://"+px.addr())
	d, err := New("wss://feed.tether.test/ws", &Config{RootCAs: ca.Pool(), Pins: []Pin{{Host: "feed.tether.test", Hash: SPKIPin(leaf.Cert)}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.HTTPClient().CloseIdleConnections)
	c, _, err := d.dialWebSocket(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	echo(t, c)
	resp, err := d.HTTPClient().Get("https://feed.tether.test/plain")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := len(px.seen()); n != 2 {
		t.Fatalf("proxy saw %d CONNECTs, want 2", n)
	}
	if r := px.seen()[0]; r.Host != "feed.tether.test:443" {
		t.Fatalf("CONNECT target %q", r.Host)
	}
}
