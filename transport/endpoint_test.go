package transport

import (
	"errors"
	"testing"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		name   string
		url    string
		rules  URLRules
		wantWS string
		port   string
		err    error
	}{
		{"wss kept", "wss://example.com/feed?x=1", URLRules{}, "wss://example.com/feed?x=1", "443", nil},
		{"https becomes wss", "https://example.com/a", URLRules{}, "wss://example.com/a", "443", nil},
		{"http loopback becomes ws", "http://127.0.0.1:8080/", URLRules{}, "ws://127.0.0.1:8080/", "8080", nil},
		{"ws localhost", "ws://localhost/x", URLRules{}, "ws://localhost/x", "80", nil},
		{"ws sub.localhost", "ws://app.localhost:81/", URLRules{}, "ws://app.localhost:81/", "81", nil},
		{"ws ipv6 loopback", "ws://[::1]:9/", URLRules{}, "ws://[::1]:9/", "9", nil},
		{"fragment dropped", "wss://example.com/p#frag", URLRules{}, "wss://example.com/p", "443", nil},
		{"upper-case scheme", "WSS://example.com/", URLRules{}, "wss://example.com/", "443", nil},
		{"ws remote refused", "ws://example.com/", URLRules{}, "", "", ErrInsecureURL},
		{"http remote refused", "http://10.0.0.1/", URLRules{}, "", "", ErrInsecureURL},
		{"ws remote allowed by option", "ws://example.com/", URLRules{InsecureAllowPlaintext: true}, "ws://example.com/", "80", nil},
		{"secure origin refuses ws", "ws://example.com/", URLRules{Origin: "https://app.example.com"}, "", "", ErrMixedContent},
		{"secure origin refuses ws even with option", "ws://example.com/", URLRules{Origin: "https://app.example.com", InsecureAllowPlaintext: true}, "", "", ErrMixedContent},
		{"secure origin allows ws loopback (Chromium)", "ws://127.0.0.1:8080/", URLRules{Origin: "https://app.example.com"}, "ws://127.0.0.1:8080/", "8080", nil},
		{"secure origin allows ws localhost", "ws://localhost:8080/", URLRules{Origin: "https://app.example.com"}, "ws://localhost:8080/", "8080", nil},
		{"secure origin resolves relative to wss", "/live?room=1", URLRules{Origin: "https://app.example.com"}, "wss://app.example.com/live?room=1", "443", nil},
		{"insecure origin resolves relative", "/live", URLRules{Origin: "http://localhost:3000"}, "ws://localhost:3000/live", "3000", nil},
		{"insecure remote origin still needs option", "/live", URLRules{Origin: "http://example.com"}, "", "", ErrInsecureURL},
		{"secure origin wss ok", "wss://api.example.com/", URLRules{Origin: "https://app.example.com"}, "wss://api.example.com/", "443", nil},
		{"relative without origin", "/live", URLRules{}, "", "", ErrBadURL},
		{"ftp scheme", "ftp://example.com/", URLRules{}, "", "", ErrBadURL},
		{"no host", "wss:///path", URLRules{}, "", "", ErrBadURL},
		{"bad port", "wss://example.com:99999/", URLRules{}, "", "", ErrBadURL},
		{"unparsable", "wss://exa mple.com:x/%zz", URLRules{}, "", "", ErrBadURL},
		{"bad origin", "wss://example.com/", URLRules{Origin: "not an origin"}, "", "", ErrBadURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTarget(tt.url, tt.rules)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				var ue *URLError
				if !errors.As(err, &ue) || ue.Fix == "" {
					t.Fatalf("want a *URLError with a fix, got %#v", err)
				}
				if Classify(err) != ClassConfig {
					t.Fatalf("Classify = %v, want config", Classify(err))
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got.WS.String() != tt.wantWS || got.Port != tt.port {
				t.Fatalf("got %s port %s, want %s port %s", got.WS, got.Port, tt.wantWS, tt.port)
			}
			wantHTTP := map[string]string{"ws": "http", "wss": "https"}[got.WS.Scheme]
			if got.HTTP.Scheme != wantHTTP || got.HTTP.Host != got.WS.Host || got.HTTP.EscapedPath() != got.WS.EscapedPath() || got.HTTP.RawQuery != got.WS.RawQuery {
				t.Fatalf("HTTP URL %s does not match %s", got.HTTP, got.WS)
			}
		})
	}
}

func TestURLErrorMessageNamesURLAndFix(t *testing.T) {
	_, err := ParseTarget("ws://example.com/chat", URLRules{Origin: "https://app.example.com"})
	want := `tether/transport: refused URL "ws://example.com/chat" (page origin "https://app.example.com"): a secure page must not open an insecure WebSocket (mixed content); use wss://example.com/chat`
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST.": true, "a.b.localhost": true, "127.0.0.1": true, "127.9.9.9": true,
		"::1": true, "[::1]": true, "::ffff:127.0.0.1": true,
		"localhost.example.com": false, "10.0.0.1": false, "example.com": false, "::2": false, "": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}
