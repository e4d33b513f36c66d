//go:build !js

package transport_test

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/tether-sdk/tether/transport"
)

// The URL rules: https maps to wss with its default port, and a page served
// over https may not open a plaintext ws:// connection to another host (the
// browser's mixed-content rule), loopback excepted.
func ExampleParseTarget() {
	t, err := transport.ParseTarget("https://feed.example.com/live?room=7#top", transport.URLRules{})
	fmt.Println(t.WS, t.HTTP, t.Port, err)

	rules := transport.URLRules{Origin: "https://app.example.com"}
	_, err = transport.ParseTarget("ws://feed.example.com/live", rules)
	fmt.Println(errors.Is(err, transport.ErrMixedContent))

	t, err = transport.ParseTarget("ws://localhost:8080/live", rules)
	fmt.Println(t.WS, err)
	// Output:
	// wss://feed.example.com/live?room=7 https://feed.example.com/live?room=7 443 <nil>
	// true
	// ws://localhost:8080/live <nil>
}

// A Config pins the server's key, trusts a private CA, and goes through an
// explicit proxy whose credentials are sent to the proxy only. Every
// transport (WebSocket, SSE, long-poll) dials through it.
func ExampleConfig() {
	proxy, err := transport.FixedProxy("http://proxy.internal:3128")
	if err != nil {
		fmt.Println(err) // a malformed proxy URL is a *ConfigError
		return
	}
	cfg := &transport.Config{
		CAFiles: []string{"/etc/myapp/ca.pem"},
		Pins: []transport.Pin{
			{Host: "**.example.com", Hash: "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
		},
		Proxy:     proxy,
		ProxyAuth: url.UserPassword("svc", "secret"),
	}
	_ = cfg // pass it as client.Options.Dial
	fmt.Println("proxy:", cfg.ProxyAuth.Username())
	// Output: proxy: svc
}

// Classify tells a client what to do about an error: fall back, retry or
// stop. A pin mismatch is permanent: retrying would only repeat it.
func ExampleClassify() {
	err := fmt.Errorf("dialing: %w", &transport.PinError{Host: "feed.example.com"})
	cl := transport.Classify(err)
	fmt.Println(cl, cl.Permanent())
	// Output: tls true
}
