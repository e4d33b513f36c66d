//go:build !js && !race

package client

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tether-sdk/tether/server"
)

// Idle clients on WebSocket (real TLS, in a process of their own, so that
// the server's goroutines do not count) hold one goroutine each, whose
// stack stays within gorilla's own 4 KiB: the reader waits under small
// frames (readLoop, wsLink.Recv). A stack doubled to 8 KiB, or a goroutine
// more per client, fails. (Not under -race, whose stacks are larger.)
func TestIdleClientMemory(t *testing.T) {
	r := newRig(t, func(s *server.Session) { <-s.Context().Done() }, &server.Options{MaxSessionsPerAddr: -1, NewSessionRate: -1}, nil)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, r.ca.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TETHER_IDLE_CHILD="+r.url(), "TETHER_IDLE_CA="+ca)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	var m idleMem
	if err := json.Unmarshal(lines[0], &m); err != nil {
		t.Fatalf("child said %q: %v", out, err)
	}
	t.Logf("%d idle clients: %.2f goroutines and %.0f bytes of stack each", m.Clients, m.GoroutinesPerConn, m.StackBytesPerConn)
	if m.GoroutinesPerConn > 1 {
		t.Errorf("%.2f goroutines per idle client, want 1 (the reader)", m.GoroutinesPerConn)
	}
	if m.StackBytesPerConn > 6<<10 {
		t.Errorf("%.0f bytes of stack per idle client, want about 4 KiB (8 KiB: the reader's stack doubled)", m.StackBytesPerConn)
	}
}
