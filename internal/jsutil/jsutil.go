//go:build js && wasm

// Package jsutil holds the helpers the browser links and the JS bridge
// share: counted js.Funcs, exceptions as errors, promises, byte copies.

package jsutil

import (
	"context"
	"errors"
	"sync/atomic"
	"syscall/js"
)

// liveFuncs counts the js.Funcs this package holds, so tests can prove that
// closed links and clients release theirs.
var liveFuncs atomic.Int64

// LiveFuncs returns the number of js.Funcs the package holds now.
func LiveFuncs() int64 { return liveFuncs.Load() }

// FuncOf wraps js.FuncOf with the count. The callback runs on the JS event
// loop and must not block: every callback here only sends on a channel with
// room, or records a value under a short lock.
func FuncOf(fn func(this js.Value, args []js.Value) any) js.Func {
	liveFuncs.Add(1)
	return js.FuncOf(fn)
}

func Release(f js.Func) {
	f.Release()
	liveFuncs.Add(-1)
}

// JSError is an exception or promise rejection from the browser.
type JSError struct {
	Name    string // e.g. "TypeError", "AbortError", "SecurityError"
	Message string
}

func (e *JSError) Error() string {
	if e.Name == "" {
		return "browser: " + e.Message
	}
	return "browser: " + e.Name + ": " + e.Message
}

// ErrorOf converts a thrown or rejected JS value.
func ErrorOf(v js.Value) error {
	if v.Type() == js.TypeObject {
		name, msg := v.Get("name"), v.Get("message")
		e := &JSError{}
		if name.Type() == js.TypeString {
			e.Name = name.String()
		}
		if msg.Type() == js.TypeString {
			e.Message = msg.String()
		} else {
			e.Message = v.Call("toString").String()
		}
		return e
	}
	if v.Type() == js.TypeString {
		return &JSError{Message: v.String()}
	}
	return &JSError{Message: "rejected with " + v.Type().String()}
}

// Catch turns a JS exception thrown by f into an error.
func Catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			var je js.Error
			if e, ok := r.(error); ok && errors.As(e, &je) {
				err = ErrorOf(je.Value)
				return
			}
			panic(r)
		}
	}()
	f()
	return nil
}

type settled struct {
	v   js.Value
	err error
}

// Await waits for promise p to settle, or for ctx to end. When ctx ends
// first, the callbacks stay registered until p settles (the caller aborts
// what p waits for), so a late settlement never calls a released js.Func.
func Await(ctx context.Context, p js.Value) (js.Value, error) {
	ch := make(chan settled, 1)
	var then, fail js.Func
	then = FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{v: Arg0(args)}
		return nil
	})
	fail = FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{err: ErrorOf(Arg0(args))}
		return nil
	})
	p.Call("then", then, fail)
	done := func() { Release(then); Release(fail) }
	select {
	case s := <-ch:
		done()
		return s.v, s.err
	case <-ctx.Done():
		go func() { <-ch; done() }()
		return js.Undefined(), context.Cause(ctx)
	}
}

// Arg0 returns the first argument, or undefined when there is none.
func Arg0(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

// BytesToJS copies b into a new Uint8Array.
func BytesToJS(b []byte) js.Value {
	a := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}

// BytesFromJS copies an ArrayBuffer or a typed array into Go memory.
func BytesFromJS(v js.Value) []byte {
	if !v.InstanceOf(js.Global().Get("Uint8Array")) {
		v = js.Global().Get("Uint8Array").New(v)
	}
	b := make([]byte, v.Length())
	js.CopyBytesToGo(b, v)
	return b
}
