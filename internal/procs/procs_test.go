//go:build linux

package procs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFillTemplate(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "out.conf")
	src := []byte("listen @PORT@;\nserver @NODE1@;\n")
	if err := FillTemplate("x.tmpl", src, dst, map[string]string{"PORT": "80", "NODE1": "a:1"}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "listen 80;\nserver a:1;\n" {
		t.Fatalf("filled = %q", b)
	}
	err := FillTemplate("x.tmpl", src, dst, map[string]string{"PORT": "80"})
	if err == nil || !strings.Contains(err.Error(), "x.tmpl: @NODE1@ not filled") {
		t.Fatalf("unfilled @NODE1@: err = %v", err)
	}
}

func TestLogBufKeepsTail(t *testing.T) {
	var l logBuf
	w := l.changed()
	l.Write([]byte(strings.Repeat("a", logMax)))
	select {
	case <-w:
	default:
		t.Fatal("a write did not close the channel of changed")
	}
	l.Write([]byte("bc"))
	s := l.String()
	if len(s) != logMax || !strings.HasSuffix(s, "bc") {
		t.Fatalf("kept %d bytes ending %q, want %d ending \"bc\"", len(s), s[len(s)-2:], logMax)
	}
}

func TestLookBinMissing(t *testing.T) {
	_, err := LookBin("tether-no-such-program")
	if err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Fatalf("err = %v", err)
	}
}

func TestStartWaitStop(t *testing.T) {
	p, err := Start("sh", t.TempDir(), "sh", "-c", "echo ready; exec sleep 60")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(time.Second)
	if err := p.WaitLine("ready", time.Minute); err != nil {
		t.Fatal(err)
	}
	p.Stop(time.Minute)
	if !p.exited() {
		t.Fatal("running after Stop")
	}
	if err := p.WaitLine("never printed", time.Minute); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("WaitLine after exit: err = %v", err)
	}
	if err := p.WaitPort("127.0.0.1:1", time.Minute); err == nil || !strings.Contains(err.Error(), "exited before listening") {
		t.Fatalf("WaitPort after exit: err = %v", err)
	}
}
