package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tether-sdk/tether/server"
	"github.com/tether-sdk/tether/server/redisstore"
)

// openShared opens the Redis store of --redis into opts (and the chat
// relay, in chat mode). stop closes them, after the Handler's shutdown.
func (f *serveFlags) openShared(ctx context.Context, opts *server.Options, chat *hub) (stop func(), err error) {
	redis.SetLogger(redisLog{opts.Logger}) // go-redis logs on stderr by default; -v shows its lines
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := redisstore.Open(octx, f.redis, nil)
	switch {
	case errors.Is(err, redisstore.ErrBadURL):
		return nil, usagef("--redis %s: %v", redactURL(f.redis), err)
	case err != nil:
		// %v: the line names Redis, not only the socket error describe would pick out.
		return nil, fmt.Errorf("--redis %s: %v (is Redis running there?)", redactURL(f.redis), err)
	}
	opts.Shared = st
	if chat == nil {
		return func() { st.Close() }, nil
	}
	stopRelay, err := chat.relay(octx, st.Client(), relayPrefix+f.path, opts.Logger)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("--redis %s: subscribing to the chat channel: %w", redactURL(f.redis), err)
	}
	return func() { stopRelay(); st.Close() }, nil
}

// redactURL hides a password in a Redis URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// redisLog sends go-redis's log lines to the server's logger.
type redisLog struct{ l *slog.Logger }

func (r redisLog) Printf(_ context.Context, format string, v ...any) {
	r.l.Warn("redis", "detail", fmt.Sprintf(format, v...))
}
