package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tether-sdk/tether/bench/internal/comp"
	"github.com/tether-sdk/tether/bench/internal/rig"
)

// storeCfg is one configuration of the shared-store row.
type storeCfg struct {
	id, label string
	base      string
	redis     bool
}

// row7 is issue 16's bench: the Tether echo with the in-memory store,
// with one node on Redis and with three nodes on Redis behind nginx
// round-robin, in the same run; Redis commands per message and Redis
// memory per idle session.
func (h *harness) row7() {
	var md strings.Builder
	md.WriteString("## 7. Several nodes on Redis, against the in-memory store\n\n")
	fail := func(err error) {
		fmt.Fprintf(&md, "Could not start the components: %v\n\n", err)
		h.section(md.String())
		h.warn(err)
	}
	rd, err := comp.StartRedis(h.tmp, "1")
	if err != nil {
		fail(err)
		return
	}
	defer rd.Stop(comp.StopGrace)
	bs := h.binPath("benchserver")
	var nodes []*proc
	for i := 1; i <= 3; i++ {
		name := "n" + strconv.Itoa(i)
		nodes = append(nodes, h.start("benchserver on Redis "+name+" (CPU 0)", "0", nil, bs, "serve", "-certs", h.certs, "-redis", rd.URL(), "-node", name))
	}
	defer func() {
		for _, p := range nodes {
			h.stopProc(p)
		}
	}()
	hp := func(p *proc) string { return strings.TrimPrefix(p.base, "https://") }
	lb3, err := comp.StartNginxCluster(filepath.Join(h.tmp, "nginx-rr3"), "", rig.CertFile(h.certs), rig.KeyFile(h.certs),
		[]string{hp(nodes[0]), hp(nodes[1]), hp(nodes[2])})
	if err != nil {
		fail(err)
		return
	}
	defer lb3.Stop(comp.StopGrace)
	lb1, err := comp.StartNginxCluster(filepath.Join(h.tmp, "nginx-rr1"), "", rig.CertFile(h.certs), rig.KeyFile(h.certs), []string{hp(h.srv0)})
	if err != nil {
		fail(err)
		return
	}
	defer lb1.Stop(comp.StopGrace)
	cfgs := []storeCfg{
		{"mem", "in-memory store, 1 node, direct", h.srv0.base, false},
		{"redis1", "Redis, 1 node, direct", nodes[0].base, true},
		{"mem-lb", "in-memory store, 1 node, through nginx", lb1.Base, false},
		{"redis3", "Redis, 3 nodes behind nginx round-robin (no stickiness)", lb3.Base, true},
	}
	trs := []string{"websocket", "longpoll"}
	type key struct{ cfg, tr string }
	res := map[key][]EchoResult{}
	for rep := 0; rep < h.reps; rep++ {
		for _, c := range rotate(cfgs, rep) {
			for _, tr := range trs {
				var r EchoResult
				args := []string{"-lib", rig.LibTether, "-transport", tr, "-mode", "pipelined", "-dur", h.dur.String()}
				if c.redis {
					args = append(args, "-redis", rd.Addr)
				}
				p := &proc{base: c.base}
				if err := h.bench("0", p, &r, "echo", args...); err != nil {
					h.warn(fmt.Errorf("%s %s: %v", c.id, tr, err))
					continue
				}
				r.Round = rep
				res[key{c.id, tr}] = append(res[key{c.id, tr}], r)
			}
		}
	}
	idle := 1000
	if h.quick {
		idle = 200
	}
	var mem MemResult
	memErr := h.bench("", nodes[0], &mem, "mem", "-lib", rig.LibTether, "-n", strconv.Itoa(idle), "-redis", rd.Addr)
	if memErr != nil {
		h.warn(memErr)
	}

	fmt.Fprintf(&md, "Tether echo, 1 KiB binary messages, 128 in flight (`benchrun echo`, as row 1), %d rounds of %v, configurations "+
		"interleaved; medians; the ratio is the median of the per-round ratios to the in-memory store on the same transport and path "+
		"(direct or through nginx). Client and every benchserver node pinned to CPU 0; redis-server %s (no persistence) pinned to CPU 1; "+
		"nginx unpinned. Three nodes: three benchserver processes on one Redis (server/redisstore, `Options.Shared`) behind nginx "+
		"round-robin with no stickiness (bench/internal/comp/conf/nginx-cluster.conf.tmpl): a WebSocket stays on the node it reached, "+
		"long-poll requests go to the next node each time. Redis commands per echoed message (one message each way): "+
		"`INFO stats` total_commands_processed over the measured phase, divided by the echoes.\n\n",
		h.reps, h.dur, redisVersion(rd.Addr))
	md.WriteString("| store and nodes | transport | msgs/s | ratio to in-memory | p50 µs | Redis commands per message |\n|---|---|---|---|---|---|\n")
	for _, c := range cfgs {
		for _, tr := range trs {
			rs := res[key{c.id, tr}]
			if len(rs) == 0 {
				fmt.Fprintf(&md, "| %s | %s | failed | | | |\n", c.label, tr)
				continue
			}
			ref := "mem"
			if strings.HasSuffix(c.id, "lb") || c.id == "redis3" {
				ref = "mem-lb"
			}
			ratio := pairedRatio(rs, res[key{ref, tr}], echoRate, echoRound)
			cmds := "–"
			if c.redis {
				cmds = f1(med(pick(rs, func(r EchoResult) float64 { return r.RedisCmdsPerMsg })))
			}
			rate := med(pick(rs, echoRate))
			h.n["r7."+c.id+"."+tr+".rate"] = rate
			fmt.Fprintf(&md, "| %s | %s | %s%s | %s | %s | %s |\n", c.label, tr, f0(rate), spread(pick(rs, echoRate)), f2(ratio),
				f0(med(pick(rs, func(r EchoResult) float64 { return r.P50us }))), cmds)
		}
	}
	md.WriteString("\n")
	if memErr == nil {
		fmt.Fprintf(&md, "Redis memory per idle session: **%s bytes** (`INFO memory` used_memory before the sessions and after %d idle "+
			"WebSocket sessions were open on one node for 2 s, divided by %d; `benchrun mem -redis`).\n\n",
			f0(mem.RedisBytesPerConn), idle, idle)
	}
	h.section(md.String())
}

func redisVersion(addr string) string {
	m, err := comp.Info(addr, "server")
	if err != nil {
		return "?"
	}
	return m["redis_version"]
}

// stopProc stops one server of the harness before the end of the run.
func (h *harness) stopProc(p *proc) {
	p.stdin.Close()
	p.wait()
	for i, q := range h.procs {
		if q == p {
			h.procs = append(h.procs[:i], h.procs[i+1:]...)
			break
		}
	}
}
