//go:build !js

package transport

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A fallback's error answer names the URL without the session's id and a
// 404 says to check the path (not a proxy).
func TestStatusErrorHidesSessionAndHints(t *testing.T) {
	d, err := New("wss://h.example/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("https://h.example/live?room=1&tether=poll&tether_sid=q3Vb0xWk7c9rJm2TtQH1Aw&tether_key=secret")
	resp := &http.Response{StatusCode: 404, Status: "404 Not Found", Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")),
		Request: &http.Request{URL: u}}
	he := d.StatusError("longpoll", resp)
	s := he.Error()
	if strings.Contains(s, "q3Vb0x") || strings.Contains(s, "secret") || !strings.Contains(s, "room=1") {
		t.Fatalf("%q", s)
	}
	if !strings.Contains(s, "check the URL path") || strings.Contains(s, "proxy") {
		t.Fatalf("%q", s)
	}
}
