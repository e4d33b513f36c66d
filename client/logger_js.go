//go:build js

package client

// Logger receives the client's diagnostics through Options.Logger. In the
// browser build it is this interface, so that log/slog (and with it reflect
// and fmt) stays out of the bundle; a *slog.Logger satisfies it, and natively
// Logger is *slog.Logger. args are alternating keys (strings) and values, as
// slog's.
type Logger interface {
	Debug(msg string, args ...any)
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
}

// silentLogger drops everything.
func silentLogger() Logger { return nopLogger{} }

type nopLogger struct{}

func (nopLogger) Debug(string, ...any) {}
func (nopLogger) Info(string, ...any)  {}
func (nopLogger) Warn(string, ...any)  {}
