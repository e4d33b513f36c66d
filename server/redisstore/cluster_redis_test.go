//go:build redis

package redisstore

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tether-sdk/tether/internal/redistest"
	"github.com/tether-sdk/tether/server"
	"github.com/tether-sdk/tether/server/storetest"
)

// TestCluster runs the conformance suite on a real Redis Cluster of three
// masters (opened from its redis+cluster:// URL, as `tether serve --redis`
// does), then checks that sessions spread over the masters while each
// session's keys stay on one: the hash tags at work.
func TestCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	open := func(t *testing.T) *Store {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		st, err := Open(ctx, c.URL(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if _, ok := st.Client().(*redis.ClusterClient); !ok {
			t.Fatalf("Open(%s) made a %T, want a *redis.ClusterClient", c.URL(), st.Client())
		}
		return st
	}
	storetest.Run(t, func(t *testing.T) server.SharedStore { return open(t) })

	st := open(t)
	ctx := t.Context()
	var masters []*redis.Client
	for _, addr := range c.Addrs() {
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		defer rdb.Close()
		masters = append(masters, rdb)
	}
	used := map[int]bool{}
	for i := range 30 {
		sid := "c2Vzc2lvbi" + strconv.Itoa(1000+i)
		if err := st.Create(ctx, server.SessionRecord{ID: sid, Key: "k"}, time.Hour); err != nil {
			t.Fatal(err)
		}
		for _, d := range []server.Direction{server.ToClient, server.ToServer} {
			if _, _, err := st.Append(ctx, sid, d, server.StoredMessage{Seq: 1, Data: []byte("x")}, server.AppendOptions{MaxBytes: 1 << 20}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.Acquire(ctx, sid, "n", time.Hour); err != nil {
			t.Fatal(err)
		}
		holders := 0
		for j, m := range masters {
			// One EXISTS of the four keys: a master answers MOVED when their
			// slot is another's (CROSSSLOT, were they in several slots).
			n, err := m.Exists(ctx, st.key(sid, "m"), st.key(sid, "o"), st.key(sid, "i"), st.key(sid, "l")).Result()
			if err != nil && strings.HasPrefix(err.Error(), "MOVED ") {
				continue
			}
			if err != nil {
				t.Fatalf("master %s: %v", c.Addrs()[j], err)
			}
			switch n {
			case 0:
			case 4:
				holders++
				used[j] = true
			default:
				t.Fatalf("session %s: %d of its 4 keys on master %s: its keys are split", sid, n, c.Addrs()[j])
			}
		}
		if holders != 1 {
			t.Fatalf("session %s: its keys on %d masters, want 1", sid, holders)
		}
	}
	if len(used) < 2 {
		t.Fatalf("30 sessions all on %d master(s): the cluster is not spreading them", len(used))
	}
}

// TestHandlersOnCluster: two Handlers, each on its own client of a Redis
// Cluster, serve one long-polling session alternately: every message
// echoed once, in order.
func TestHandlersOnCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	var nodes []string
	for _, name := range []string{"a", "b"} {
		st, err := Open(t.Context(), c.URL(), nil)
		if err != nil {
			t.Fatal(err)
		}
		st.own = false // nodeOn closes the client after the Handler's shutdown
		nodes = append(nodes, nodeOn(t, st, name))
	}
	echoThrough(t, nodes, 300, func() {})
}
