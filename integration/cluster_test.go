//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/internal/procs"
	"github.com/tether-sdk/tether/internal/redistest"
)

// Issue 16: three `tether serve --redis` nodes behind nginx round-robin
// with no stickiness, on a real redis-server.

var tetherBin struct {
	once sync.Once
	path string
	err  error
}

// buildTether builds cmd/tether once per run.
func buildTether(t *testing.T) string {
	t.Helper()
	tetherBin.once.Do(func() {
		tetherBin.path = filepath.Join(suite.dir, "tether")
		out, err := exec.Command("go", "build", "-o", tetherBin.path, "../cmd/tether").CombinedOutput()
		if err != nil {
			tetherBin.err = fmt.Errorf("go build ./cmd/tether: %v\n%s", err, out)
		}
	})
	if tetherBin.err != nil {
		t.Fatal(tetherBin.err)
	}
	return tetherBin.path
}

type cluster struct {
	t     *testing.T
	bin   string
	redis *redistest.Server
	dir   string
	ports [3]int
	mu    sync.Mutex
	nodes [3]*procs.Proc
	addr  string // nginx
}

// leaseTTL is the nodes' --lease: a killed node's sessions wait this long
// for another node.
const leaseTTL = "4s"

func newCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: buildTether(t), redis: redistest.Start(t, "")}
	dir, err := os.MkdirTemp(suite.dir, "cluster-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	for i := range c.ports {
		if c.ports[i], err = procs.FreePort(); err != nil {
			t.Fatal(err)
		}
		c.start(i)
	}
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, p := range c.nodes {
			p.Stop(10 * time.Second)
			if t.Failed() {
				t.Logf("node %d output:\n%s", i, p.Output())
			}
		}
	})
	for _, d := range []string{"logs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p, port, err := procs.OnFreePort("nginx", func(port int) (*procs.Proc, error) {
		conf := filepath.Join(dir, "nginx.conf")
		vars := map[string]string{"PREFIX": dir, "PORT": strconv.Itoa(port), "CERT": suite.nginxCert, "KEY": suite.nginxKey}
		for i, p := range c.ports {
			vars["NODE"+strconv.Itoa(i+1)] = "127.0.0.1:" + strconv.Itoa(p)
		}
		if err := fillTemplate("nginx-cluster.conf.tmpl", conf, vars); err != nil {
			return nil, err
		}
		return procs.Start("nginx", dir, "nginx", "-p", dir, "-c", conf)
	})
	if err != nil {
		t.Fatal(err)
	}
	c.addr = fmt.Sprintf("127.0.0.1:%d", port)
	t.Cleanup(func() { p.Stop(5 * time.Second) })
	return c
}

// start starts node i on its port.
func (c *cluster) start(i int) {
	c.t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(c.ports[i])
	p, err := procs.Start(fmt.Sprintf("node%d", i), c.dir, c.bin, "serve", "--plaintext", "--listen", addr,
		"--path", "/live", "--redis", c.redis.URL(), "--lease", leaseTTL, "--node", fmt.Sprintf("n%d", i))
	if err != nil {
		c.t.Fatal(err)
	}
	if err := p.WaitPort(addr, 20*time.Second); err != nil {
		c.t.Fatalf("node %d: %v\n%s", i, err, p.Output())
	}
	c.mu.Lock()
	c.nodes[i] = p
	c.mu.Unlock()
}

// kill ends node i with SIGKILL (nothing handed over) and starts it again.
func (c *cluster) kill(i int) {
	c.mu.Lock()
	p := c.nodes[i]
	c.mu.Unlock()
	p.Kill()
	c.start(i)
}

// restart stops node i with SIGTERM (it hands its sessions over) and starts
// it again.
func (c *cluster) restart(i int) {
	c.mu.Lock()
	p := c.nodes[i]
	c.mu.Unlock()
	p.Stop(10 * time.Second)
	c.start(i)
}

func (c *cluster) url() string { return "wss://" + c.addr + "/live" }

var clusterTransports = []string{"websocket", "sse", "longpoll"}

// TestClusterEveryTransport: a session on each transport works through
// three nodes with no stickiness.
func TestClusterEveryTransport(t *testing.T) {
	c := newCluster(t)
	for _, tr := range clusterTransports {
		t.Run(tr, func(t *testing.T) {
			row := scenario(t, 16, "3 nodes on Redis behind nginx round-robin: "+tr)
			ev := newEvents()
			o := opts(ev)
			o.Transports = []string{tr}
			cl, el := dial(t, c.url(), o)
			row.connected(cl.Transport(), el)
			roundTrip(t, cl, "r", 300)
			if n := ev.count(isSessionLost); n > 0 {
				t.Errorf("%d sessions lost: %s", n, ev)
			}
			row.ended(cl.Transport())
		})
	}
}

// echoFlow sends n numbered messages (mixed text and binary) through the
// echo nodes while disrupt runs, and checks the echoes: every one exactly
// once, in order, and no session lost.
func echoFlow(t *testing.T, row *row, c *cluster, tr string, n int, disrupt func(ctx context.Context) int) {
	ev := newEvents()
	o := opts(ev)
	o.Transports = []string{tr}
	o.InitialBackoff, o.MaxBackoff = 20*time.Millisecond, 500*time.Millisecond
	cl, el := dial(t, c.url(), o)
	row.connected(cl.Transport(), el)
	defer func() { row.ended(cl.Transport()) }()
	down := newSeqCheck("c", n)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	dctx, stopDisrupt := context.WithCancel(ctx)
	disrupted := make(chan int, 1)
	go func() { disrupted <- disrupt(dctx) }()
	sendErr := make(chan error, 1)
	go func() {
		sendErr <- pacedSend(ctx, n, 50, 25*time.Millisecond, "c", func(ctx context.Context, m string) error {
			bin, data := mixed(m)
			return cl.Send(ctx, client.Message{Binary: bin, Data: data})
		})
	}()
	recvErr := make(chan error, 1)
	go func() {
		for {
			m, err := cl.Receive(ctx)
			if err != nil {
				recvErr <- err
				return
			}
			if down.addMixed(m.Binary, m.Data) {
				recvErr <- nil
				return
			}
		}
	}()
	start := time.Now()
	select {
	case <-down.done:
	case <-ctx.Done():
		t.Fatalf("no end marker after %v: %s; events %s", time.Since(start), down, ev)
	}
	stopDisrupt()
	times := <-disrupted
	if err := <-sendErr; err != nil {
		t.Fatalf("send: %v", err)
	}
	if err := <-recvErr; err != nil {
		t.Fatalf("receive: %v", err)
	}
	down.assertClean(t)
	if n := ev.count(isSessionLost); n > 0 {
		t.Errorf("%d sessions lost; events %s", n, ev)
	}
	t.Logf("%s: %d messages echoed in %v, %d disruptions, %d reconnects; %s", tr, n, time.Since(start).Round(time.Millisecond),
		times, ev.count(isReconnecting), down)
	if times < 2 {
		t.Errorf("only %d disruptions while the messages flowed: the test proved little", times)
	}
}

// TestClusterSIGKILL: a node killed with SIGKILL every 2 s (and started
// again) while 10,000 messages flow each way: 0 lost, duplicated or
// reordered, no session lost.
func TestClusterSIGKILL(t *testing.T) {
	c := newCluster(t)
	for _, tr := range clusterTransports {
		t.Run(tr, func(t *testing.T) {
			row := scenario(t, 16, "3 nodes on Redis, SIGKILL every 2 s, 10,000 messages each way: "+tr)
			echoFlow(t, row, c, tr, 10000, func(ctx context.Context) int {
				tk := time.NewTicker(2 * time.Second)
				defer tk.Stop()
				for i := 0; ; i++ {
					select {
					case <-tk.C:
					case <-ctx.Done():
						return i
					}
					c.kill(i % 3)
				}
			})
		})
	}
}

// TestClusterRollingRestart: every node restarted in turn (SIGTERM: it
// hands its sessions over) while messages flow: no session lost, 0 lost.
func TestClusterRollingRestart(t *testing.T) {
	c := newCluster(t)
	row := scenario(t, 16, "3 nodes on Redis, rolling restart while messages flow")
	// 10,000 messages take 5 s at least (pacedSend): the three restarts,
	// half a second apart, happen while they flow.
	echoFlow(t, row, c, "websocket", 10000, func(ctx context.Context) int {
		done := 0
		for i := range 3 {
			select {
			case <-time.After(500 * time.Millisecond):
			case <-ctx.Done():
				return done
			}
			c.restart(i)
			done++
		}
		return done
	})
}

// TestClusterRedisRestart: Redis stopped for 5 s and started again (empty:
// it keeps nothing on disk). What the client sees is reported: the session
// is lost with its unacknowledged messages in the SessionLostEvent, and
// every message it sent is either echoed or in that report; nothing silent.
func TestClusterRedisRestart(t *testing.T) {
	c := newCluster(t)
	row := scenario(t, 16, "3 nodes on Redis; Redis stopped 5 s, started empty")
	ev := newEvents()
	o := opts(ev)
	o.Transports = []string{"websocket"}
	cl, el := dial(t, c.url(), o)
	row.connected(cl.Transport(), el)
	roundTrip(t, cl, "a", 50)
	from := ev.len()
	c.redis.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sent := 0
	for ; sent < 20; sent++ {
		if err := cl.Send(ctx, client.Text(fmt.Sprintf("b%05d", sent))); err != nil {
			break
		}
	}
	time.Sleep(5 * time.Second)
	redistest.Start(t, c.redis.Port)
	lost := ev.waitFor(t, from, "SessionLostEvent", isSessionLost).(client.SessionLostEvent)
	echoed := 0
	for {
		rctx, rcancel := context.WithTimeout(ctx, time.Second)
		m, err := cl.Receive(rctx)
		rcancel()
		if err != nil || len(m.Data) == 0 || m.Data[0] != 'b' {
			break
		}
		echoed++
	}
	if echoed+len(lost.Unacknowledged) < sent {
		t.Errorf("%d sent while Redis was away, %d echoed, %d reported unacknowledged: some vanished", sent, echoed, len(lost.Unacknowledged))
	}
	t.Logf("Redis away 5 s: %d sent meanwhile, %d echoed, SessionLostEvent with %d unacknowledged (%v); events %s",
		sent, echoed, len(lost.Unacknowledged), lost.Cause, ev)
	row.ended(cl.Transport())
}
