package client

import (
	"strings"
	"testing"

	"github.com/tether-sdk/tether/transport"
)

// The reason of a refused upgrade names the likely cause (issue 15): the
// server's "not a Tether request" means a proxy dropped the Upgrade header.
func TestReasonNamesDroppedUpgrade(t *testing.T) {
	he := &transport.HandshakeError{Transport: "websocket", StatusCode: 400, Status: "400 Bad Request", Class: transport.ClassRefused,
		Body: []byte(`{"code":"bad_request","message":"not a Tether request: expected a WebSocket upgrade"}`)}
	got := reasonFor("sse", []Attempt{{Transport: "websocket", Err: he}}, nil, nil, 0)
	if !strings.Contains(got, "websocket failed (refused 400 Bad Request: the server saw no upgrade, a proxy dropped the Upgrade header)") {
		t.Fatalf("reason %q", got)
	}
}
