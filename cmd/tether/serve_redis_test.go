//go:build redis

package main

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/tether-sdk/tether/internal/redistest"
	"github.com/tether-sdk/tether/internal/wire"
)

// These tests run `tether serve --redis` nodes on a real redis-server
// (`make redis-test`), speaking long-polling to them raw, every request to
// another node.

type pollClient struct {
	t        *testing.T
	sid, key string
	ack      uint64 // the client's recv
	sent     uint64
}

func pollURL(base string, kv ...string) string {
	v := url.Values{wire.ParamVersion: {"1"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return "http://" + base + "/?" + v.Encode()
}

func doFrames(t *testing.T, req *http.Request) (int, []wire.Frame) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", req.Method, req.URL, resp.StatusCode, body)
	}
	fr, err := wire.ParseJSONBatch(body, 0, 0)
	if err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return resp.StatusCode, fr
}

func openPoll(t *testing.T, node string) *pollClient {
	t.Helper()
	req, _ := http.NewRequest("GET", pollURL(node, wire.ParamMode, wire.ModePollOpen), nil)
	_, fr := doFrames(t, req)
	if len(fr) != 1 || fr[0].Kind != wire.KindWelcome {
		t.Fatalf("poll-open: %+v", fr)
	}
	return &pollClient{t: t, sid: fr[0].Welcome.SID, key: fr[0].Welcome.Key}
}

func (c *pollClient) send(node, msg string) {
	c.t.Helper()
	c.sent++
	body, _ := wire.AppendJSONBatch(nil, []wire.Frame{{Kind: wire.KindText, Seq: c.sent, Data: []byte(msg)}})
	req, _ := http.NewRequest("POST", pollURL(node, wire.ParamMode, wire.ModeSend, wire.ParamSID, c.sid), bytes.NewReader(body))
	req.Header.Set(wire.HeaderKey, c.key)
	if _, fr := doFrames(c.t, req); len(fr) == 0 || fr[0].Kind != wire.KindAck || fr[0].Seq != c.sent {
		c.t.Fatalf("send %d: %+v", c.sent, fr)
	}
}

// poll returns the data of one poll, checking that seqs follow on.
func (c *pollClient) poll(node string) []string {
	c.t.Helper()
	req, _ := http.NewRequest("GET", pollURL(node, wire.ParamMode, wire.ModePoll, wire.ParamSID, c.sid,
		wire.ParamAck, strconv.FormatUint(c.ack, 10)), nil)
	req.Header.Set(wire.HeaderKey, c.key)
	_, fr := doFrames(c.t, req)
	var out []string
	for _, f := range fr {
		if f.Kind != wire.KindText {
			continue
		}
		if f.Seq != c.ack+1 {
			c.t.Fatalf("seq %d after %d", f.Seq, c.ack)
		}
		c.ack = f.Seq
		out = append(out, string(f.Data))
	}
	return out
}

// collect polls round-robin over nodes until n messages came.
func (c *pollClient) collect(nodes func() string, n int) []string {
	c.t.Helper()
	var got []string
	for tries := 0; len(got) < n && tries < 200; tries++ {
		got = append(got, c.poll(nodes())...)
	}
	if len(got) != n {
		c.t.Fatalf("got %d of %d messages: %q", len(got), n, got)
	}
	return got
}

type cluster struct {
	t     *testing.T
	args  []string
	nodes []*served
	next  int
}

func newCluster(t *testing.T, n int, args ...string) *cluster {
	c := &cluster{t: t, args: args}
	for range n {
		c.nodes = append(c.nodes, startServe(t, args...))
	}
	return c
}

func (c *cluster) rr() string {
	s := c.nodes[c.next%len(c.nodes)]
	c.next++
	return s.addr
}

// restart stops node i (SIGTERM: it hands its sessions over) and starts a
// new one in its place.
func (c *cluster) restart(i int) {
	c.nodes[i].stop(c.t)
	c.nodes[i] = startServe(c.t, c.args...)
}

// TestServeRedisEchoRoundRobinAndRollingRestart: three echo nodes on one
// Redis, every request to the next node; then every node restarted in turn
// while the session goes on: every message comes back once, in order, and
// the session is never lost.
func TestServeRedisEchoRoundRobinAndRollingRestart(t *testing.T) {
	rs := redistest.Start(t, "")
	c := newCluster(t, 3, "--plaintext", "--redis", rs.URL(), "--path", "/")
	cl := openPoll(t, c.rr())
	n := 0
	round := func() {
		var want []string
		for range 10 {
			n++
			m := "m" + strconv.Itoa(n)
			want = append(want, m)
			cl.send(c.rr(), m)
		}
		got := cl.collect(c.rr, len(want))
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("echo %d: %q, want %q", i, got[i], want[i])
			}
		}
	}
	round()
	for i := range c.nodes {
		c.restart(i)
		round()
	}
}

// TestServeRedisChatAcrossNodes: chat sessions on different nodes all get
// every message.
func TestServeRedisChatAcrossNodes(t *testing.T) {
	rs := redistest.Start(t, "")
	c := newCluster(t, 2, "--plaintext", "--redis", rs.URL(), "--mode", "chat")
	a, b := openPoll(t, c.nodes[0].addr), openPoll(t, c.nodes[1].addr)
	a.send(c.nodes[0].addr, "hello from a")
	b.send(c.nodes[1].addr, "hello from b")
	ga, gb := a.collect(c.rr, 2), b.collect(c.rr, 2)
	if ga[0] != gb[0] || ga[1] != gb[1] {
		t.Fatalf("members saw different orders: %q and %q", ga, gb)
	}
}

// TestServeRedisClusterChat: --redis redis+cluster://... runs nodes on a
// Redis Cluster of three masters: chat sessions on different nodes all get
// every message (the relay's pub/sub crosses the cluster), every request
// to the next node.
func TestServeRedisClusterChat(t *testing.T) {
	rc := redistest.StartCluster(t)
	c := newCluster(t, 2, "--plaintext", "--redis", rc.URL(), "--mode", "chat")
	a, b := openPoll(t, c.rr()), openPoll(t, c.rr())
	a.send(c.rr(), "hello from a")
	b.send(c.rr(), "hello from b")
	ga, gb := a.collect(c.rr, 2), b.collect(c.rr, 2)
	if ga[0] != gb[0] || ga[1] != gb[1] {
		t.Fatalf("members saw different orders: %q and %q", ga, gb)
	}
}
