package mobile

import (
	"fmt"
	"runtime/debug"
)

// PanicError is what a call returns, and what OnError receives, when Go code
// panicked: a panic must never cross into Java or Swift, where it would kill
// the app. Its message holds the panic value and the Go stack.
type panicError struct {
	where string
	value any
	stack []byte
}

func (e *panicError) Error() string {
	return fmt.Sprintf("tether/mobile: a panic in %s was recovered (please report it): %v\n%s", e.where, e.value, e.stack)
}

// guard turns a panic in an exported call into its error result. Use as
// `defer guard(&err)` in every exported function that returns an error.
func guard(err *error) {
	if r := recover(); r != nil {
		*err = &panicError{where: "a call", value: r, stack: debug.Stack()}
	}
}

// swallow recovers a panic in an exported call that has no error result,
// and hands it to report (which may be nil).
func swallow(report func(error)) {
	if r := recover(); r != nil && report != nil {
		report(&panicError{where: "a call", value: r, stack: debug.Stack()})
	}
}
