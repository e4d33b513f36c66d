//go:build redis

package redisstore

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tether-sdk/tether/internal/redistest"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/server"
)

// infoInt reads one integer field of INFO section.
func infoInt(t *testing.T, rdb *redis.Client, section, field string) int64 {
	t.Helper()
	s, err := rdb.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in INFO %s", field, section)
	return 0
}

// commandStats reads INFO commandstats: calls per command, and under
// "usec" the microseconds Redis spent in commands, all of them.
func commandStats(t *testing.T, rdb *redis.Client) map[string]int64 {
	t.Helper()
	s, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int64{}
	for _, l := range strings.Split(s, "\r\n") {
		name, rest, ok := strings.Cut(strings.TrimPrefix(l, "cmdstat_"), ":calls=")
		if !ok {
			continue
		}
		fields := strings.Split(rest, ",")
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		m[name] = n
		if len(fields) > 1 && name != "info" {
			us, _ := strconv.ParseInt(strings.TrimPrefix(fields[1], "usec="), 10, 64)
			m["usec"] += us
		}
	}
	return m
}

// logPerMessage logs the commands of each kind per message since before,
// and Redis's time in them.
func logPerMessage(t *testing.T, rdb *redis.Client, before map[string]int64, n int) {
	t.Helper()
	var parts []string
	after := commandStats(t, rdb)
	for k, v := range after {
		if d := v - before[k]; d > 0 && k != "info" && k != "usec" {
			parts = append(parts, fmt.Sprintf("%s %.2f", k, float64(d)/float64(n)))
		}
	}
	sort.Strings(parts)
	t.Logf("per message, by command (commands run inside scripts counted too): %s", strings.Join(parts, ", "))
	t.Logf("Redis time in commands per message: %.1f µs (scripts' time includes their commands')", float64(after["usec"]-before["usec"])/float64(n))
}

// tripCounter is a go-redis hook counting the round trips a node makes,
// by command (a script by its name).
type tripCounter struct {
	mu sync.Mutex
	n  map[string]int
}

var scriptNames = map[string]string{
	scriptCreate.Hash(): "create", scriptTouch.Hash(): "touch", scriptEnd.Hash(): "end", scriptAppend.Hash(): "append",
	scriptRead.Hash(): "read", scriptAck.Hash(): "ack", scriptSync.Hash(): "sync", scriptAcquire.Hash(): "acquire",
	scriptRenew.Hash(): "renew", scriptRelease.Hash(): "release",
}

func (c *tripCounter) count(cmd redis.Cmder) {
	name := cmd.Name()
	if a := cmd.Args(); (name == "evalsha" || name == "evalsha_ro") && len(a) > 1 {
		name = scriptNames[fmt.Sprint(a[1])]
	}
	c.mu.Lock()
	c.n[name]++
	c.mu.Unlock()
}

func (c *tripCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *tripCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.count(cmd); return next(ctx, cmd) }
}
func (c *tripCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.count(redis.NewStatusCmd(ctx, "pipeline"))
		return next(ctx, cmds)
	}
}

// log logs the round trips per message, by kind, since reset.
func (c *tripCounter) log(t *testing.T, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	total := 0
	for k, v := range c.n {
		total += v
		parts = append(parts, fmt.Sprintf("%s %.2f", k, float64(v)/float64(n)))
	}
	sort.Strings(parts)
	t.Logf("round trips to Redis per message: %.2f (%s)", float64(total)/float64(n), strings.Join(parts, ", "))
}

func (c *tripCounter) reset() {
	c.mu.Lock()
	c.n = map[string]int{}
	c.mu.Unlock()
}

// TestCostIdleSession measures the Redis memory an idle session takes (its
// record, with no message buffered), over 1,000 sessions.
func TestCostIdleSession(t *testing.T) {
	rs := redistest.Start(t, "")
	st, rdb := newStore(t, rs.Addr)
	ctx := t.Context()
	before := infoInt(t, rdb, "memory", "used_memory")
	const n = 1000
	for i := range n {
		rec := server.SessionRecord{ID: "c2Vzc2lvbi" + strconv.Itoa(1000000+i), Key: "a2V5a2V5a2V5a2V5a2V5a2", Remote: server.RemoteInfo{Addr: "203.0.113.7:50000", UserAgent: "tether-go/1"}}
		if err := st.Create(ctx, rec, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	per := (infoInt(t, rdb, "memory", "used_memory") - before) / n
	if per <= 0 {
		t.Fatalf("used_memory did not grow (%d bytes per session)", per)
	}
	t.Logf("Redis memory per idle session: %d bytes", per)
}

// TestCostPerMessage counts the Redis commands one echoed message costs on
// two nodes (long-polling, requests alternating between the nodes).
func TestCostPerMessage(t *testing.T) {
	rs := redistest.Start(t, "")
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rdb.Close()
	trips := &tripCounter{n: map[string]int{}}
	nodes := []string{node(t, rs.Addr, "a", trips), node(t, rs.Addr, "b", trips)}
	const n = 2000
	var before int64
	var stats map[string]int64
	var start time.Time
	echoThrough(t, nodes, n, func() {
		before = infoInt(t, rdb, "stats", "total_commands_processed")
		stats = commandStats(t, rdb)
		trips.reset()
		start = time.Now()
	})
	el := time.Since(start)
	cmds := infoInt(t, rdb, "stats", "total_commands_processed") - before
	logPerMessage(t, rdb, stats, n)
	trips.log(t, n)
	t.Logf("%d messages echoed through two nodes in batches of 50 over long-polling: %.1f Redis commands per message (those scripts run included; the periodic re-reads of idle mirrors too), %.0f msgs/s",
		n, float64(cmds)/n, n/el.Seconds())
}

// echoThrough opens a long-polling session on nodes[0] and has n messages
// echoed, sent in batches of 50 and polled for, each request to the next
// node in turn; begin runs once the session is open.
func echoThrough(t *testing.T, nodes []string, n int, begin func()) {
	t.Helper()
	code, fr, e := call(t, "GET", nodes[0], url.Values{wire.ParamMode: {wire.ModePollOpen}}, "")
	if code != 200 {
		t.Fatalf("open: %d %+v", code, e)
	}
	sid, key := fr[0].Welcome.SID, fr[0].Welcome.Key
	sendQ := url.Values{wire.ParamMode: {wire.ModeSend}, wire.ParamSID: {sid}}
	begin()
	var batch []wire.Frame
	ack := uint64(0)
	for i := 1; i <= n; i++ {
		batch = append(batch, wire.Frame{Kind: wire.KindText, Seq: uint64(i), Data: []byte("m" + strconv.Itoa(i))})
		if len(batch) < 50 && i < n {
			continue
		}
		if code, _, e := call(t, "POST", nodes[i%len(nodes)], sendQ, key, batch...); code != 200 {
			t.Fatalf("send: %d %+v", code, e)
		}
		batch = nil
		for tries := 0; ack < uint64(i) && tries < 100; tries++ {
			pollQ := url.Values{wire.ParamMode: {wire.ModePoll}, wire.ParamSID: {sid}, wire.ParamAck: {strconv.FormatUint(ack, 10)}}
			code, fr, e := call(t, "GET", nodes[(i+tries+1)%len(nodes)], pollQ, key)
			if code != 200 {
				t.Fatalf("poll: %d %+v", code, e)
			}
			for _, f := range fr {
				if f.Kind == wire.KindText {
					if f.Seq != ack+1 || string(f.Data) != "m"+strconv.FormatUint(f.Seq, 10) {
						t.Fatalf("echo %d %q after %d", f.Seq, f.Data, ack)
					}
					ack = f.Seq
				}
			}
		}
	}
	if ack != uint64(n) {
		t.Fatalf("%d of %d echoes", ack, n)
	}
}
