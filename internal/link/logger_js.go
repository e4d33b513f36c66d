//go:build js

package link

// Logger receives a link's diagnostics. In the browser build it is this small
// interface (a *slog.Logger satisfies it), so that log/slog, and with it
// reflect and fmt, stay out of the bundle; natively it is *slog.Logger.
type Logger interface {
	Debug(msg string, args ...any)
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
}

// Discard is a Logger that drops everything.
func Discard() Logger { return discard{} }

type discard struct{}

func (discard) Debug(string, ...any) {}
func (discard) Info(string, ...any)  {}
func (discard) Warn(string, ...any)  {}
