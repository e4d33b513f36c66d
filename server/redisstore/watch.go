package redisstore

import (
	"context"
	"strconv"
	"sync"

	"github.com/redis/go-redis/v9"
	"github.com/tether-sdk/tether/server"
)

// Watch subscribes (one pub/sub connection per Store, shared by every
// watched session) to the session's wake channel. A subscription that fails
// (Redis away) is retried by go-redis when it reconnects; waiters re-read
// the state on their own schedule meanwhile (server.SharedStore.Watch).
func (st *Store) Watch(sid string) (<-chan uint64, func()) {
	ch := make(chan uint64, 1)
	if !validID(sid) {
		return ch, func() {}
	}
	name := st.key(sid, "w")
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return ch, func() {}
	}
	if st.ps == nil {
		st.ps = st.rdb.Subscribe(context.Background())
		st.done = make(chan struct{})
		go st.dispatch(st.ps, st.done)
	}
	ps := st.ps
	first := st.subs[name] == nil
	if first {
		st.subs[name] = map[chan uint64]struct{}{}
	}
	st.subs[name][ch] = struct{}{}
	st.mu.Unlock()
	if first {
		ctx, cancel := context.WithTimeout(context.Background(), st.subTO)
		ps.Subscribe(ctx, name) // on failure the channel is still resubscribed on reconnect
		cancel()
	}
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			st.mu.Lock()
			delete(st.subs[name], ch)
			last := len(st.subs[name]) == 0
			if last {
				delete(st.subs, name)
			}
			closed := st.closed
			st.mu.Unlock()
			if last && !closed {
				ctx, cancel := context.WithTimeout(context.Background(), st.subTO)
				ps.Unsubscribe(ctx, name)
				cancel()
			}
		})
	}
}

// dispatch wakes the watchers of every message's channel until ps closes.
func (st *Store) dispatch(ps *redis.PubSub, done chan struct{}) {
	defer close(done)
	for m := range ps.Channel() {
		v, _ := strconv.ParseUint(m.Payload, 10, 64) // 0: unknown (a deletion)
		st.mu.Lock()
		for ch := range st.subs[m.Channel] {
			select {
			case ch <- v:
			default: // a wake-up not yet received: coalesce
				select {
				case old := <-ch:
					ch <- server.MergeVersions(old, v)
				default:
					ch <- v
				}
			}
		}
		st.mu.Unlock()
	}
}
