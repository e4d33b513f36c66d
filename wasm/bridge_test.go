//go:build js && wasm

package wasm

import (
	"errors"
	"strings"
	"syscall/js"
	"testing"
	"time"
)

// These run in Node (make wasm-unit).

func TestOptionsFromJS(t *testing.T) {
	v := js.Global().Get("JSON").Call("parse", `{"transports":["sse","longpoll"],"headers":{"Authorization":"Bearer t"},"initialBackoff":50,"maxAttempts":3,"maxMessageBytes":4096,"probeInterval":-1}`)
	o, err := optionsFromJS(v)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.Transports, ",") != "sse,longpoll" || o.Header.Get("Authorization") != "Bearer t" ||
		o.InitialBackoff != 50*time.Millisecond || o.MaxAttempts != 3 || o.MaxMessageBytes != 4096 || o.ProbeInterval >= 0 {
		t.Fatalf("options = %+v", o)
	}
	for _, bad := range []string{`{"transports":"sse"}`, `{"transports":["carrier-pigeon"]}`, `{"transports":[]}`} {
		if _, err := optionsFromJS(js.Global().Get("JSON").Call("parse", bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if o, err := optionsFromJS(js.Undefined()); err != nil || o.Header != nil {
		t.Fatalf("undefined: %+v %v", o, err)
	}
}

func TestDebugLogsToConsole(t *testing.T) {
	o, err := optionsFromJS(js.Global().Get("JSON").Call("parse", `{"debug":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := o.Logger.(consoleLogger); !ok {
		t.Fatalf("debug: Logger is %#v, not the console", o.Logger)
	}
	if o, _ := optionsFromJS(js.Global().Get("JSON").Call("parse", `{}`)); o.Logger != nil {
		t.Fatalf("no debug: Logger is %#v, want nil (silent)", o.Logger)
	}
	a := attrs([]any{"transport", "sse", "delay", 1500 * time.Millisecond, "attempt", 2, "error", errors.New("x"), 7})
	for key, want := range map[string]string{"transport": "sse", "delay": "1.5s", "attempt": "2", "error": "x", "!BADKEY": "7"} {
		if got := a.Get(key).String(); got != want {
			t.Errorf("attrs[%q] = %q, want %q", key, got, want)
		}
	}
}

// A bridge call with arguments of the wrong type returns an error text; it
// does not end the Go program (and every client on the page with it).
func TestBridgeCallsWithBadArgumentsDoNotPanic(t *testing.T) {
	b := &bridge{clients: map[int]*jsClient{}}
	undef := js.Undefined()
	for name, call := range map[string]func() any{
		"send(undefined, ...)": func() any { return guard("send", b.send)(undef, []js.Value{undef, js.ValueOf("x"), js.ValueOf(false)}) },
		"close({}, ...)": func() any {
			return guard("close", b.close)(undef, []js.Value{js.Global().Get("Object").New(), js.ValueOf(1000), js.ValueOf("")})
		},
		"info(\"x\")": func() any { return guard("info", b.info)(undef, []js.Value{js.ValueOf("x")}) },
	} {
		got, ok := call().(js.Value)
		if !ok || got.Type() != js.TypeString || !strings.Contains(got.String(), "failed") {
			t.Errorf("%s returned %v, want an error text", name, got)
		}
	}
}
