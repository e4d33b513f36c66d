//go:build !linux && !js

package transport

import (
	"syscall"
	"time"
)

// setUserTimeout does nothing outside Linux: darwin has only
// TCP_CONNECTIONTIMEOUT (for the connect) and keep-alive, windows
// keep-alive; the client's own probe (client.Options.AckTimeout) finds a
// dead path there.
func setUserTimeout(syscall.RawConn, time.Duration) error { return nil }
