//go:build js && wasm

package jsutil

import (
	"context"
	"errors"
	"syscall/js"
	"testing"
	"time"
)

// These run in Node (make wasm-unit).

func TestAwaitResolvesRejectsAndReleases(t *testing.T) {
	before := LiveFuncs()
	p := js.Global().Get("Promise")
	v, err := Await(context.Background(), p.Call("resolve", 42))
	if err != nil || v.Int() != 42 {
		t.Fatalf("resolve: %v %v", v, err)
	}
	_, err = Await(context.Background(), p.Call("reject", js.Global().Get("TypeError").New("Failed to fetch")))
	var je *JSError
	if !errors.As(err, &je) || je.Name != "TypeError" || je.Message != "Failed to fetch" {
		t.Fatalf("reject: %#v", err)
	}
	if n := LiveFuncs(); n != before {
		t.Fatalf("js.Funcs: %d before, %d after", before, n)
	}
}
func TestAwaitCancelledReleasesWhenSettled(t *testing.T) {
	before := LiveFuncs()
	// A promise settled by hand, after the wait was given up.
	var resolve js.Value
	exec := js.FuncOf(func(_ js.Value, args []js.Value) any { resolve = args[0]; return nil })
	p := js.Global().Get("Promise").New(exec)
	exec.Release()
	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("gave up")
	cancel(cause)
	if _, err := Await(ctx, p); err != cause {
		t.Fatalf("err = %v, want the cause", err)
	}
	if LiveFuncs() != before+2 {
		t.Fatalf("js.Funcs released before the promise settled: %d, want %d", LiveFuncs(), before+2)
	}
	resolve.Invoke(1)
	for i := 0; i < 1000 && LiveFuncs() != before; i++ {
		time.Sleep(time.Millisecond) // yields to the JS event loop, which runs the settlement
	}
	if n := LiveFuncs(); n != before {
		t.Fatalf("js.Funcs: %d before, %d after the late settlement", before, n)
	}
}
func TestCatchTurnsExceptionsIntoErrors(t *testing.T) {
	err := Catch(func() { js.Global().Get("JSON").Call("parse", "{") })
	var je *JSError
	if !errors.As(err, &je) || je.Name != "SyntaxError" {
		t.Fatalf("err = %#v", err)
	}
}
