//go:build js && wasm

package transport

import (
	"errors"
	"strings"
	"testing"
)

func TestMixedContentRefusedBeforeAnyRequest(t *testing.T) {
	_, err := New("ws://example.com/live", &Config{URLRules{Origin: "https://app.example.com"}})
	if !errors.Is(err, ErrMixedContent) || !strings.Contains(err.Error(), "mixed content") {
		t.Fatalf("err = %v", err)
	}
	if _, err := New("ws://127.0.0.1:8080/live", &Config{URLRules{Origin: "https://app.example.com"}}); err != nil {
		t.Fatalf("loopback is exempt, as in browsers: %v", err)
	}
}
