package client

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// The core never branches on a fallback transport's name: ack pacing,
// first-event windows and the like belong to the links (internal/link).
// Only the option checks (options.go) and the public names (codes.go) may
// name SSE and long-polling; WebSocket is named by the probe, which the
// protocol defines for WebSocket only.
func TestCoreDoesNotNameFallbackTransports(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"options.go": true, "codes.go": true}
	names := map[string]bool{"TransportSSE": true, "TransportPoll": true, "TransportLongPoll": true}
	fset := token.NewFileSet()
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || allowed[n] {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(x ast.Node) bool {
			var name string
			switch x := x.(type) {
			case *ast.SelectorExpr:
				name = x.Sel.Name
			case *ast.Ident:
				name = x.Name
			case *ast.BasicLit:
				if s := strings.Trim(x.Value, "\"`"); s == "sse" || s == "longpoll" {
					name = x.Value
				}
			}
			if names[name] || strings.HasPrefix(name, "\"") || strings.HasPrefix(name, "`") {
				t.Errorf("%v: the core names %s", fset.Position(x.Pos()), name)
			}
			return true
		})
	}
}

// A link's error that names its transport is not named twice.
func TestTransportErrorNamesTheTransportOnce(t *testing.T) {
	e := &transportError{Transport: "websocket", Err: errors.New("tether: websocket: no frame within 2s")}
	if got := e.Error(); got != "tether: websocket: no frame within 2s" {
		t.Fatalf("Error() = %q", got)
	}
}
