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
