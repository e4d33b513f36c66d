//go:build js && wasm

package wasm

import (
	"syscall/js"

	"github.com/tether-sdk/tether/internal/xfmt"
)

// consoleLogger is the client's Logger when options.debug is true: each
// record goes to the browser console (console.debug, console.info,
// console.warn) as "tether: <message>" and an object of its attributes,
// their values as text.
type consoleLogger struct{ console js.Value }

func newConsoleLogger() consoleLogger { return consoleLogger{js.Global().Get("console")} }

func (l consoleLogger) Debug(msg string, args ...any) { l.log("debug", msg, args) }
func (l consoleLogger) Info(msg string, args ...any)  { l.log("info", msg, args) }
func (l consoleLogger) Warn(msg string, args ...any)  { l.log("warn", msg, args) }

func (l consoleLogger) log(level, msg string, args []any) {
	l.console.Call(level, "tether: "+msg, attrs(args))
}

// attrs turns slog-style alternating keys and values into a JS object; a
// key that is not a string, or a last key without a value, is kept under
// "!BADKEY" as slog does.
func attrs(args []any) js.Value {
	obj := js.Global().Get("Object").New()
	for i := 0; i < len(args); i++ {
		key, ok := args[i].(string)
		if !ok || i+1 == len(args) {
			obj.Set("!BADKEY", xfmt.Sprint(args[i]))
			continue
		}
		i++
		obj.Set(key, xfmt.Sprint(args[i]))
	}
	return obj
}
