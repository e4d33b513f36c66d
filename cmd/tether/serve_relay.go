package main

import (
	"context"
	"log/slog"

	"github.com/redis/go-redis/v9"
	"github.com/tether-sdk/tether/server"
)

// Chat mode on several nodes (--redis): a message a node's session receives
// is published on a Redis channel; every node (the sender's too) hands what
// the channel carries to the sessions it runs, so every session gets every
// message once, in the one order Redis published them. A session whose
// owner is changing (a node died, a rolling restart) misses what is
// published meanwhile: the chat moved on, as for a member too slow.

// relayPrefix starts the channel name; the endpoint's path follows, so
// endpoints on other paths do not mix.
const relayPrefix = "tether:chat:"

// relay connects h to the channel. It returns once subscribed; stop ends it.
func (h *hub) relay(ctx context.Context, rdb redis.UniversalClient, channel string, log *slog.Logger) (stop func(), err error) {
	ps := rdb.Subscribe(ctx, channel)
	if _, err := ps.Receive(ctx); err != nil { // the subscription's confirmation
		ps.Close()
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m := range ps.Channel() {
			if p := m.Payload; len(p) > 0 {
				h.broadcast(server.Message{Binary: p[0] == 'b', Data: []byte(p[1:])})
			}
		}
	}()
	h.publish = func(m server.Message) {
		kind := byte('t')
		if m.Binary {
			kind = 'b'
		}
		payload := append([]byte{kind}, m.Data...)
		if err := rdb.Publish(context.Background(), channel, payload).Err(); err != nil {
			log.Warn("chat message not relayed: Redis unavailable", "error", err)
		}
	}
	return func() { ps.Close(); <-done }, nil
}
