package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newLogfmtLogger logs the server's events as logfmt lines:
//
//	time=15:04:05.000 event=transport_attached session=... transport=sse ack=0
//
// The level is shown only above info. A long-poll attaches the session on
// every poll; only a change of transport is logged.
func newLogfmtLogger(w io.Writer) *slog.Logger {
	text := slog.NewTextHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.String("time", a.Value.Time().Format("15:04:05.000"))
			case slog.LevelKey:
				if a.Value.Any().(slog.Level) <= slog.LevelInfo {
					return slog.Attr{}
				}
			case slog.MessageKey:
				return slog.String("event", strings.ReplaceAll(a.Value.String(), " ", "_"))
			}
			return a
		},
	})
	return slog.New(&changesOnly{Handler: text, last: map[string]string{}, mu: &sync.Mutex{}})
}

// changesOnly drops "transport attached" records that repeat a session's
// transport (every long-poll attaches).
type changesOnly struct {
	slog.Handler
	mu   *sync.Mutex
	last map[string]string // session -> transport attached
}

func (c *changesOnly) Handle(ctx context.Context, r slog.Record) error {
	var session, transport string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "session":
			session = a.Value.String()
		case "transport":
			transport = a.Value.String()
		}
		return true
	})
	if session != "" {
		c.mu.Lock()
		switch r.Message {
		case "transport attached":
			if c.last[session] == transport {
				c.mu.Unlock()
				return nil
			}
			c.last[session] = transport
		case "transport detached", "session closed", "session expired":
			delete(c.last, session)
		}
		c.mu.Unlock()
	}
	return c.Handler.Handle(ctx, r)
}

func (c *changesOnly) WithAttrs(as []slog.Attr) slog.Handler {
	return &changesOnly{Handler: c.Handler.WithAttrs(as), mu: c.mu, last: c.last}
}

func (c *changesOnly) WithGroup(name string) slog.Handler {
	return &changesOnly{Handler: c.Handler.WithGroup(name), mu: c.mu, last: c.last}
}

// logfmtWriter turns the http.Server's error log lines (TLS handshake
// errors and the like) into logfmt.
type logfmtWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *logfmtWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := io.WriteString(l.w, logfmt("time", time.Now().Format("15:04:05.000"), "event", "http_error", "error", msg)+"\n")
	return len(p), err
}
