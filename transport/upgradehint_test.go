package transport

import (
	"strings"
	"testing"
)

// A WebSocket upgrade answered 400: with the Tether server's "not a Tether
// request" body the Upgrade header was dropped on the way; without it a
// proxy answered. Both hints say so (issue 15, Deliver 5).
func TestUpgradeRefusedHintNamesTheProxy(t *testing.T) {
	server := &HandshakeError{Transport: "websocket", URL: "wss://x/live", StatusCode: 400, Status: "400 Bad Request", Class: ClassRefused,
		Body: []byte(`{"code":"bad_request","message":"not a Tether request: expected a WebSocket upgrade with subprotocol tether.v1, or the tether query parameter (see PROTOCOL.md)","status":400}`)}
	if !UpgradeDropped(server) || !strings.Contains(server.Error(), "dropped the Upgrade and Connection headers") {
		t.Fatalf("server's answer: %v", server)
	}
	proxy := &HandshakeError{Transport: "websocket", URL: "wss://x/live", StatusCode: 400, Status: "400 Bad Request", Class: ClassRefused,
		Body: []byte("<html>Bad Request</html>")}
	if UpgradeDropped(proxy) || !strings.Contains(proxy.Error(), "a proxy on the way most likely refused") {
		t.Fatalf("proxy's answer: %v", proxy)
	}
	sse := &HandshakeError{Transport: "sse", StatusCode: 400, Status: "400 Bad Request", Class: ClassRefused, Body: server.Body}
	if strings.Contains(sse.Error(), "Upgrade") {
		t.Fatalf("an SSE 400 is not an upgrade: %v", sse)
	}
}
