package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tether-sdk/tether/client"
)

// logfmt formats key=value pairs on one line: values with spaces, quotes or
// equals signs (or empty ones) are quoted.
func logfmt(kv ...any) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(fmt.Sprint(kv[i]))
		b.WriteByte('=')
		b.WriteString(logfmtValue(kv[i+1]))
	}
	return b.String()
}

func logfmtValue(v any) string {
	var s string
	switch v := v.(type) {
	case time.Duration:
		s = roundDuration(v).String()
	case error:
		s = describe(v)
	default:
		s = fmt.Sprint(v)
	}
	if s == "" || strings.ContainsAny(s, " =\"\t\r\n\\") {
		return strconv.Quote(s)
	}
	return s
}

// roundDuration keeps durations readable: ms below 10 s, then 0.1 s.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond)
	case d < 10*time.Second:
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

// eventLog prints the client's connection events on w, one logfmt line each
// when verbose, and warnings about lost messages always.
type eventLog struct {
	w       io.Writer
	verbose bool
	prefix  string // prepended to every line (the demo indents)

	mu        sync.Mutex
	connected chan client.ConnectedEvent // optional: the demo waits on it
}

func newEventLog(w io.Writer, verbose bool) *eventLog {
	return &eventLog{w: w, verbose: verbose}
}

// handle is a client.Options.OnEvent.
func (l *eventLog) handle(ev client.Event) {
	var line string
	switch ev := ev.(type) {
	case client.ConnectingEvent:
		line = logfmt("event", "connecting", "attempt", ev.Attempt)
	case client.ConnectedEvent:
		line = logfmt("event", "connected", "transport", ev.Transport, "reason", clean(ev.Reason),
			"elapsed", ev.Elapsed, "resumed", ev.Resumed)
		if l.connected != nil {
			select {
			case l.connected <- ev:
			default:
			}
		}
	case client.TransportChangedEvent:
		line = logfmt("event", "transport_changed", "transport", ev.To, "from", ev.From, "reason", clean(ev.Reason))
	case client.PathSilentEvent:
		line = logfmt("event", "path_silent", "transport", ev.Transport, "silent", ev.Silent.Round(time.Millisecond),
			"probing", ev.Probing)
	case client.DisconnectedEvent:
		line = logfmt("event", "disconnected", "transport", ev.Transport, "cause", ev.Cause)
	case client.ReconnectingEvent:
		line = logfmt("event", "reconnecting", "attempt", ev.Attempt, "delay", ev.Delay, "cause", ev.Cause)
	case client.SessionLostEvent:
		line = logfmt("event", "session_lost", "unacknowledged", len(ev.Unacknowledged), "cause", ev.Cause)
		if !l.verbose {
			fmt.Fprintf(l.w, "%stether connect: warning: the server no longer knew the session (it restarted, or the session expired); "+
				"%d sent messages may not have arrived; a new session started\n", l.prefix, len(ev.Unacknowledged))
		}
	case client.ClosedEvent:
		if ev.Err != nil {
			line = logfmt("event", "closed", "error", ev.Err)
		} else {
			line = logfmt("event", "closed")
		}
	default:
		line = logfmt("event", fmt.Sprintf("%T", ev))
	}
	if l.verbose {
		l.mu.Lock()
		fmt.Fprintln(l.w, l.prefix+line)
		l.mu.Unlock()
	}
}
