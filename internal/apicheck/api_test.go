package apicheck

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/tether-sdk/tether"

// TestExportedAPI: no exported identifier of a non-internal package shows
// an internal or third-party type (make api, part of make check).
func TestExportedAPI(t *testing.T) {
	out, err := exec.Command("go", "list", "-e", "-json=ImportPath,Dir", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	n := 0
	for {
		var p struct{ ImportPath, Dir string }
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if Forbidden(module, p.ImportPath) {
			continue // internal packages are the module's own business
		}
		leaks, err := CheckDir(module, "../..", p.Dir)
		if err != nil {
			t.Fatalf("%s: %v", p.ImportPath, err)
		}
		n++
		for _, l := range leaks {
			t.Errorf("%s: %v", p.ImportPath, l)
		}
	}
	if n < 5 {
		t.Fatalf("checked %d packages: go list found too few", n)
	}
}

// TestCheckerFindsLeaks: the checker flags each leak of the fixture and
// nothing unexported.
func TestCheckerFindsLeaks(t *testing.T) {
	leaks, err := CheckDir(module, "../..", "testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range leaks {
		got = append(got, l.Ident+" "+l.Type)
	}
	want := []string{"Text wire.KindText", "Dial websocket.Conn", "Options.Hidden link.Attach", "T.Attach link.Attach", "Dialer.DialLink link.Link", "Default link.Attach"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("leaks\n got %q\nwant %q", got, want)
	}
}

func TestForbidden(t *testing.T) {
	for path, want := range map[string]bool{
		module + "/internal/link":      true,
		module + "/client":             false,
		module + "/bench/internal/rig": true,
		"github.com/gorilla/websocket": true,
		"net/http":                     false,
		"internal/poll":                false, // the standard library's own: not importable anyway
	} {
		if got := Forbidden(module, path); got != want {
			t.Errorf("Forbidden(%q) = %v, want %v", path, got, want)
		}
	}
}
