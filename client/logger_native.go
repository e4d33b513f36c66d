//go:build !js

package client

import "log/slog"

// Logger receives the client's diagnostics through Options.Logger. It is
// *slog.Logger (an alias) natively; the browser build has a small interface
// of its own instead, so that log/slog stays out of the bundle.
type Logger = *slog.Logger

func silentLogger() Logger { return slog.New(slog.DiscardHandler) }
