//go:build redis

package redisstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tether-sdk/tether/server"
	"github.com/tether-sdk/tether/server/storetest"
)

// These tests start a real redis-server (`make redis-test` installs it);
// without one they fail.

// redisServer is a redis-server the test started on a free loopback port.
type redisServer struct {
	addr string
	port string
	cmd  *exec.Cmd
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// startRedis starts redis-server on port and waits until it is ready.
func startRedis(t *testing.T, port string) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found (make redis-test installs it): %v", err)
	}
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--loglevel", "warning")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	logs := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case logs <- sc.Text():
			default:
			}
		}
	}()
	rs := &redisServer{addr: "127.0.0.1:" + port, port: port, cmd: cmd}
	t.Cleanup(rs.stop)
	rdb := redis.NewClient(&redis.Options{Addr: rs.addr, MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			var l []string
			for len(logs) > 0 {
				l = append(l, <-logs)
			}
			t.Fatalf("redis-server on %s never answered; its log: %s", rs.addr, strings.Join(l, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return rs
}

func (rs *redisServer) stop() {
	if rs.cmd.Process != nil && rs.cmd.ProcessState == nil {
		rs.cmd.Process.Kill()
		rs.cmd.Wait()
	}
}

func newStore(t *testing.T, addr string) (*Store, *redis.Client) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	st := New(rdb, nil)
	t.Cleanup(func() { st.Close(); rdb.Close() })
	return st, rdb
}

func TestConformance(t *testing.T) {
	rs := startRedis(t, freePort(t))
	storetest.Run(t, func(t *testing.T) server.SharedStore {
		st, _ := newStore(t, rs.addr)
		return st
	})
}

// TestTwoNodesShareSessions: a session one Store created is served by
// another Store (another node) on the same Redis, and each sees the other's
// changes, wake-ups included.
func TestTwoNodesShareSessions(t *testing.T) {
	rs := startRedis(t, freePort(t))
	a, _ := newStore(t, rs.addr)
	b, _ := newStore(t, rs.addr)
	ctx := t.Context()
	sid := "c2Vzc2lvbi1vbmU"
	if err := a.Create(ctx, server.SessionRecord{ID: sid, Key: "k"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	wake, stop := a.Watch(sid)
	defer stop()
	deadline := time.After(10 * time.Second)
	for seq := uint64(1); ; seq++ {
		if _, _, err := b.Append(ctx, sid, server.ToServer, server.StoredMessage{Seq: seq, Data: []byte("hi")}, 1<<20, 0); err != nil {
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
	rs := startRedis(t, freePort(t))
	st, rdb := newStore(t, rs.addr)
	ctx := t.Context()
	sid := "dHRs"
	if err := st.Create(ctx, server.SessionRecord{ID: sid, Key: "k"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	st.Append(ctx, sid, server.ToClient, server.StoredMessage{Data: []byte("a")}, 1<<20, 0)
	st.Append(ctx, sid, server.ToServer, server.StoredMessage{Seq: 1, Data: []byte("b")}, 1<<20, 0)
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
	port := freePort(t)
	rs := startRedis(t, port)
	st, _ := newStore(t, rs.addr)
	ctx := t.Context()
	sid := "cmVzdGFydA"
	if err := st.Create(ctx, server.SessionRecord{ID: sid, Key: "k"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	rs.stop()
	octx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, _, err := st.Append(octx, sid, server.ToClient, server.StoredMessage{Data: []byte("a")}, 1<<20, 0)
	cancel()
	if !errors.Is(err, server.ErrStoreUnavailable) {
		t.Fatalf("Append with Redis down: %v, want ErrStoreUnavailable", err)
	}
	t.Log(err)
	if err := st.Ping(ctx); !errors.Is(err, server.ErrStoreUnavailable) {
		t.Fatalf("Ping with Redis down: %v", err)
	}
	startRedis(t, port)
	deadline := time.Now().Add(10 * time.Second)
	for st.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the store never came back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, _, err = st.Append(ctx, sid, server.ToClient, server.StoredMessage{Data: []byte("a")}, 1<<20, 0)
	if !errors.Is(err, server.ErrStoreNotFound) {
		t.Fatalf("Append to a session Redis forgot: %v, want ErrStoreNotFound", err)
	}
	if err := st.Create(ctx, server.SessionRecord{ID: sid, Key: "k"}, time.Hour); err != nil {
		t.Fatalf("Create after the restart: %v", err)
	}
}
