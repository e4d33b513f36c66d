//go:build redis

package redisstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tether-sdk/tether/internal/redistest"
	"github.com/tether-sdk/tether/server"
	"github.com/tether-sdk/tether/server/storetest"
)

// These tests start a real redis-server (`make redis-test` installs it);
// without one they fail.

func newStore(t *testing.T, addr string) (*Store, *redis.Client) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	st := New(rdb, nil)
	t.Cleanup(func() { st.Close(); rdb.Close() })
	return st, rdb
}

func TestConformance(t *testing.T) {
	rs := redistest.Start(t, "")
	storetest.Run(t, func(t *testing.T) server.SharedStore {
		st, _ := newStore(t, rs.Addr)
		return st
	})
}

// TestTwoNodesShareSessions: a session one Store created is served by
// another Store (another node) on the same Redis, and each sees the other's
// changes, wake-ups included.
func TestTwoNodesShareSessions(t *testing.T) {
	rs := redistest.Start(t, "")
	a, _ := newStore(t, rs.Addr)
	b, _ := newStore(t, rs.Addr)
	ctx := t.Context()
	sid := "c2Vzc2lvbi1vbmU"
	if err := a.Create(ctx, server.SessionRecord{ID: sid, Key: "k"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	wake, stop := a.Watch(sid)
	defer stop()
	deadline := time.After(10 * time.Second)
	for seq := uint64(1); ; seq++ {
		if _, _, err := b.Append(ctx, sid, server.ToServer, server.StoredMessage{Seq: seq, Data: []byte("hi")}, server.AppendOptions{MaxBytes: 1 << 20}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-wake:
		case <-time.After(50 * time.Millisecond):
			continue // the subscription was not active yet
		case <-deadline:
			t.Fatal("node A never woke for node B's append")
		}
		ms, err := a.Read(ctx, sid, server.ToServer, 1, 1<<20)
		if err != nil || uint64(len(ms)) != seq || string(ms[0].Data) != "hi" {
			t.Fatalf("node A reads %v, %v", ms, err)
		}
		return
	}
}

// TestKeysExpireWithTheSession: every key of a session has the session's
// TTL, and Touch extends all of them.
func TestKeysExpireWithTheSession(t *testing.T) {
	rs := redistest.Start(t, "")
	st, rdb := newStore(t, rs.Addr)
	ctx := t.Context()
	sid := "dHRs"
	if err := st.Create(ctx, server.SessionRecord{ID: sid, Key: "k"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	st.Append(ctx, sid, server.ToClient, server.StoredMessage{Data: []byte("a")}, server.AppendOptions{MaxBytes: 1 << 20})
	st.Append(ctx, sid, server.ToServer, server.StoredMessage{Seq: 1, Data: []byte("b")}, server.AppendOptions{MaxBytes: 1 << 20})
	if err := st.Touch(ctx, sid, time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, k := range st.keys(sid) {
		ttl, err := rdb.PTTL(ctx, k).Result()
		if err != nil || ttl <= time.Minute || ttl > time.Hour {
			t.Errorf("%s: TTL %v (%v), want in (1m, 1h]", k, ttl, err)
		}
	}
	l, err := st.Acquire(ctx, sid, "n", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if ttl, _ := rdb.PTTL(ctx, st.key(sid, "l")).Result(); ttl <= 0 || ttl > 5*time.Second {
		t.Errorf("lease TTL %v, want in (0, 5s]", ttl)
	}
	st.Release(ctx, l)
}

// TestRedisRestart: while Redis is down every operation fails with
// ErrStoreUnavailable (nothing hangs past the context); once it is back the
// store works again, and a session lost with Redis's memory is
// ErrStoreNotFound: the caller reports it (session_not_found), never a
// silent drop.
func TestRedisRestart(t *testing.T) {
	rs := redistest.Start(t, "")
	st, _ := newStore(t, rs.Addr)
	ctx := t.Context()
	sid := "cmVzdGFydA"
	if err := st.Create(ctx, server.SessionRecord{ID: sid, Key: "k"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	rs.Stop()
	octx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, _, err := st.Append(octx, sid, server.ToClient, server.StoredMessage{Data: []byte("a")}, server.AppendOptions{MaxBytes: 1 << 20})
	cancel()
	if !errors.Is(err, server.ErrStoreUnavailable) {
		t.Fatalf("Append with Redis down: %v, want ErrStoreUnavailable", err)
	}
	t.Log(err)
	if err := st.Ping(ctx); !errors.Is(err, server.ErrStoreUnavailable) {
		t.Fatalf("Ping with Redis down: %v", err)
	}
	redistest.Start(t, rs.Port)
	deadline := time.Now().Add(10 * time.Second)
	for st.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the store never came back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, _, err = st.Append(ctx, sid, server.ToClient, server.StoredMessage{Data: []byte("a")}, server.AppendOptions{MaxBytes: 1 << 20})
	if !errors.Is(err, server.ErrStoreNotFound) {
		t.Fatalf("Append to a session Redis forgot: %v, want ErrStoreNotFound", err)
	}
	if err := st.Create(ctx, server.SessionRecord{ID: sid, Key: "k"}, time.Hour); err != nil {
		t.Fatalf("Create after the restart: %v", err)
	}
}
