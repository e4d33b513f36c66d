//go:build !js

package link

import "log/slog"

// Logger receives a link's diagnostics: *slog.Logger natively; in the
// browser build a small interface, so that log/slog stays out of the bundle.
type Logger = *slog.Logger

// Discard is a Logger that drops everything.
func Discard() Logger { return slog.New(slog.DiscardHandler) }
