package redistest

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of three masters (no replicas) a test started
// on loopback.
type Cluster struct {
	Nodes []*Server
}

// Addrs are the masters' addresses.
func (c *Cluster) Addrs() []string {
	var a []string
	for _, n := range c.Nodes {
		a = append(a, n.Addr)
	}
	return a
}

// URL is the cluster's redis+cluster:// URL (package redisstore's Open).
func (c *Cluster) URL() string { return "redis+cluster://" + strings.Join(c.Addrs(), ",") }

// StartCluster starts three redis-server with --cluster-enabled yes, joins
// them with `redis-cli --cluster create` (the 16384 slots split between
// them) and waits until every node reports cluster_state:ok and knows
// every slot's master. A test that cannot start one fails.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Fatalf("redis-cli not found (make redis-test installs it with redis-server): %v", err)
	}
	c := &Cluster{}
	for range 3 {
		dir := t.TempDir()
		c.Nodes = append(c.Nodes, Start(t, "", "--cluster-enabled", "yes", "--dir", dir,
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--cluster-node-timeout", "5000"))
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, n := range c.Nodes {
		rdb := redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: -1})
		for !clusterReady(rdb) {
			if time.Now().After(deadline) {
				info, _ := rdb.ClusterInfo(context.Background()).Result()
				rdb.Close()
				t.Fatalf("the Redis Cluster never became ready; node %s says:\n%s", n.Addr, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
		rdb.Close()
	}
	return c
}

// clusterReady: the node's cluster is ok and it knows all three masters'
// slots.
func clusterReady(rdb *redis.Client) bool {
	ctx := context.Background()
	info, err := rdb.ClusterInfo(ctx).Result()
	if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") {
		return false
	}
	shards, err := rdb.ClusterShards(ctx).Result()
	return err == nil && len(shards) == 3
}
