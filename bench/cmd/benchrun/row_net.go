package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/tether-sdk/tether/bench/internal/comp"
	"github.com/tether-sdk/tether/bench/internal/rig"
	"github.com/tether-sdk/tether/bench/internal/srv"
)

// netScen is one network set-up of the time-to-connected row: the
// integration suite's, each built here from the real component.
type netScen struct {
	id, label string
	tURL      string // Tether URL
	tProxy    string
	tOnly     string // Options.Transports of a Tether-only row
	tBest     string // the best transport the set-up lets Tether use
	sioBase   string // "" for a Tether-only row
	sioPath   string
	sioBest   string
}

// netRig is the components of the row.
type netRig struct {
	nginx        *comp.Nginx
	squid, tiny  *comp.Proxy
	hole         *proc
	stopFns      []func()
	scens        []netScen
	startupError error
}

func (h *harness) startNetRig() *netRig {
	r := &netRig{}
	fail := func(err error) *netRig { r.startupError = err; return r }
	hp := func(base string) string { return strings.TrimPrefix(base, "https://") }
	ng, err := comp.StartNginxNet(filepath.Join(h.tmp, "nginx-net"), "", rig.CertFile(h.certs), rig.KeyFile(h.certs), hp(h.srv0.base), hp(h.node.base))
	if err != nil {
		return fail(err)
	}
	r.nginx = ng
	r.stopFns = append(r.stopFns, func() { ng.Stop(comp.StopGrace) })
	if r.squid, err = comp.StartSquid(filepath.Join(h.tmp, "squid"), ""); err != nil {
		return fail(err)
	}
	r.stopFns = append(r.stopFns, func() { r.squid.Stop(comp.StopGrace) })
	if r.tiny, err = comp.StartTinyproxy(filepath.Join(h.tmp, "tinyproxy"), ""); err != nil {
		return fail(err)
	}
	r.stopFns = append(r.stopFns, func() { r.tiny.Stop(comp.StopGrace) })
	r.hole = h.start("black-hole front", "", nil, h.binPath("benchserver"), "hole", "-certs", h.certs, "-tether", h.srv0.base, "-sio", h.node.base)
	direct := h.srv0.base + srv.TetherEcho
	r.scens = []netScen{
		{id: "direct", label: "direct", tURL: direct, tBest: "websocket", sioBase: h.node.base, sioPath: "/socket.io/", sioBest: "websocket"},
		{id: "nginx-ok", label: "nginx forwarding Upgrade", tURL: ng.Base + "/ok" + srv.TetherEcho, tBest: "websocket",
			sioBase: ng.Base, sioPath: "/sio-ok/socket.io/", sioBest: "websocket"},
		{id: "nginx-blocked", label: "nginx without Upgrade forwarding (400)", tURL: ng.Base + "/blocked" + srv.TetherEcho, tBest: "sse",
			sioBase: ng.Base, sioPath: "/sio-blocked/socket.io/", sioBest: "polling"},
		{id: "nginx-buffered", label: "nginx buffering (no Upgrade, event streams held back)", tURL: ng.Base + "/buffered" + srv.TetherEcho, tBest: "longpoll",
			sioBase: ng.Base, sioPath: "/sio-buffered/socket.io/", sioBest: "polling"},
		{id: "hole", label: "black-holed upgrade (accepted, never answered)", tURL: r.hole.base + srv.TetherEcho, tBest: "sse",
			sioBase: r.hole.base, sioPath: "/socket.io/", sioBest: "polling"},
		{id: "squid", label: "squid CONNECT", tURL: direct, tProxy: r.squid.URL, tBest: "websocket",
			sioBase: h.node.base, sioPath: "/socket.io/", sioBest: "websocket"},
		{id: "tinyproxy", label: "tinyproxy CONNECT", tURL: direct, tProxy: r.tiny.URL, tBest: "websocket",
			sioBase: h.node.base, sioPath: "/socket.io/", sioBest: "websocket"},
		{id: "sse", label: "direct, SSE configured (Transports: sse; Tether only)", tURL: direct, tOnly: "sse", tBest: "sse"},
		{id: "longpoll", label: "direct, long-poll configured (Transports: longpoll; Tether only)", tURL: direct, tOnly: "longpoll", tBest: "longpoll"},
		{id: "refused", label: "direct, upgrade answered 400 in front of the server, as a proxy refusing it (Tether only)", tURL: h.srv0.base + srv.TetherRefuse, tBest: "sse"},
	}
	return r
}

func (r *netRig) stop() {
	for i := len(r.stopFns) - 1; i >= 0; i-- {
		r.stopFns[i]()
	}
}

// row3 is the time to connected through every network set-up, Tether
// beside Socket.IO in the same run.
func (h *harness) row3() {
	runs, pairRuns := 20, 100
	if h.quick {
		runs, pairRuns = 3, 4
	}
	nr := h.startNetRig()
	defer nr.stop()
	var md strings.Builder
	md.WriteString("## 3. Time to connected, through each network set-up\n\n")
	if nr.startupError != nil {
		fmt.Fprintf(&md, "Could not start the components: %v\n\n", nr.startupError)
		h.section(md.String())
		h.warn(nr.startupError)
		return
	}
	only := h.netOnly
	selected := func(id string) bool { return len(only) == 0 || slices.Contains(only, id) }
	tRes, sRes := map[string]ConnectResult{}, map[string]ConnectResult{}
	paired := map[string]bool{} // set-ups measured in a pair
	var pairsRun []netPair
	for _, s := range nr.scens {
		if !selected(s.id) {
			continue
		}
		if pr, ok := pairOf(s.id); ok && !paired[s.id] && selected(pr.other(s.id)) {
			var p PairResult
			a, b := scenOf(nr.scens, pr.a), scenOf(nr.scens, pr.b)
			args := append(append(connectArgs(a, ""), connectArgs(b, "b")...), "-runs", strconv.Itoa(pairRuns), "-bestwait", "3s")
			if err := h.bench("0", h.srv0, &p, "connect", args...); err != nil {
				h.warn(fmt.Errorf("%s with %s: %v", pr.a, pr.b, err))
			} else {
				tRes[pr.a], tRes[pr.b] = p.A, p.B
				paired[pr.a], paired[pr.b] = true, true
				pairsRun = append(pairsRun, pr)
				h.pairFigures(pr, p)
			}
			if pr.a == "refused" {
				h.refusalFloor(pairRuns)
			}
		}
		if !paired[s.id] {
			var r ConnectResult
			args := append(connectArgs(s, ""), "-runs", strconv.Itoa(runs), "-bestwait", "3s")
			if err := h.bench("0", h.srv0, &r, "connect", args...); err != nil {
				h.warn(fmt.Errorf("%s: %v", s.id, err))
			} else {
				tRes[s.id] = r
			}
		}
		if s.sioBase == "" {
			continue
		}
		sargs := []string{"--mode", "net", "--path", s.sioPath, "--runs", strconv.Itoa(runs), "--best", s.sioBest, "--bestwait", "3000"}
		if s.tProxy != "" {
			sargs = append(sargs, "--proxy", s.tProxy)
		}
		var sr ConnectResult
		argv := append([]string{"node", filepath.Join(h.nodeDir, "client.js"), "--url", s.sioBase}, sargs...)
		if err := h.client("0", &sr, argv...); err != nil {
			h.warn(fmt.Errorf("%s (Socket.IO): %v", s.id, err))
		} else {
			sRes[s.id] = sr
		}
	}
	fmt.Fprintf(&md, "Each run a new client in a fresh process per set-up (new TCP and TLS connections every run), %d runs, medians "+
		"(min–max of connected in brackets). The clients and both servers (benchserver, Socket.IO's node server) are pinned to CPU 0; "+
		"nginx, squid, tinyproxy and the black-hole front (a Go reverse proxy, `benchserver hole`, that accepts WebSocket upgrades and "+
		"never answers them) run unpinned, all on loopback, started by the harness from bench/internal/comp/conf (the integration "+
		"suite's set-ups). nginx reaches both backends over TLS. **Tether**: `client.Dial` with default options (transports raced as "+
		"the client does by default, probing back to WebSocket allowed) until it returns, then one 1 KiB echo; *on best* is the time from "+
		"the start of Dial until the session is on the best transport the set-up allows (from the ConnectedEvent and "+
		"TransportChangedEvent), waited for up to 3 s. **Socket.IO %s**: `io()` with its defaults (polling, then the upgrade to "+
		"websocket) until `connect`, then one acked 1 KiB echo; *on best* is until the engine's `upgrade` event (or the connect, where "+
		"polling is the best the set-up allows); through a CONNECT proxy with https-proxy-agent as its `agent`. *Close ms*: how long "+
		"Tether's `Client.Close` took at the end of each run (median; closed in the background while the next runs went on).\n\n",
		runs, nodePkgVersion(h.nodeDir, "socket.io-client"))
	if len(pairsRun) > 0 {
		var names []string
		for _, pr := range pairsRun {
			names = append(names, fmt.Sprintf("*%s* with *%s*", pr.a, pr.b))
		}
		fmt.Fprintf(&md, "Tether's set-ups that a target compares (%s) are measured in pairs instead: %d pairs in one process, "+
			"the two set-ups alternating connect by connect (the order swapped every pair), so a slow spell of the machine hits both "+
			"sides of a pair; their lines show the medians of those %d connects each, and the target takes the median over the pairs "+
			"of each pair's ratio (or difference).\n\n", strings.Join(names, ", "), pairRuns, pairRuns)
		if _, ok := h.n["r3.floor.diff"]; ok {
			fmt.Fprintf(&md, "Beside the *refused* pair, `benchrun floor` measures the refused upgrade's bare exchange in %d pairs the same way: "+
				"raw TLS connections (one shared session cache), the upgrade request Tether sends answered 400 and then the SSE attach on "+
				"the same connection, against the SSE attach alone, each read until the welcome event. What it adds is the floor for "+
				"any client that sends the upgrade (the target's note).\n\n", pairRuns)
		}
	}
	md.WriteString("| set-up | client | connected on | connected ms | first echo ms | best transport | on best ms | ended on | Close ms | how the client explained it (last run) |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range nr.scens {
		if len(only) > 0 && !slices.Contains(only, s.id) {
			continue
		}
		h.netLine(&md, s.label, "Tether", s.tBest, tRes, s.id)
		if s.sioBase != "" {
			h.netLine(&md, s.label, "Socket.IO", s.sioBest, sRes, s.id)
		}
	}
	md.WriteString("\n")
	h.section(md.String())
	h.netTargets(nr.scens, tRes, sRes)
}

// netLine writes one line of the table and keeps its medians in h.n
// ("r3.<lib>.<id>.connected", ".echo", ".best", ".afterconnect").
func (h *harness) netLine(md *strings.Builder, label, lib, best string, res map[string]ConnectResult, id string) {
	r, ok := res[id]
	if !ok || len(r.ConnectedMs) == 0 {
		fmt.Fprintf(md, "| %s | %s | failed | | | %s | | | | |\n", label, lib, best)
		return
	}
	p := "r3." + strings.ToLower(strings.ReplaceAll(lib, ".", "")) + "." + id + "."
	c, e := med(r.ConnectedMs), med(r.FirstEcho)
	h.n[p+"connected"], h.n[p+"echo"] = c, e
	bestTxt := "not within 3 s"
	var after []float64
	reached := 0
	for i, b := range r.BestMs {
		if b >= 0 {
			reached++
			after = append(after, b-r.ConnectedMs[i])
		}
	}
	h.n[p+"reached"] = float64(reached) / float64(len(r.BestMs))
	if reached == len(r.BestMs) {
		h.n[p+"best"], h.n[p+"afterconnect"] = med(r.BestMs), med(after)
		bestTxt = f1(med(r.BestMs))
	} else if reached > 0 {
		bestTxt = fmt.Sprintf("%d of %d runs within 3 s", reached, len(r.BestMs))
		h.n[p+"best"] = -1
	} else {
		h.n[p+"best"] = -1
	}
	closeTxt := ""
	if len(r.CloseMs) > 0 {
		closeTxt = f1(med(r.CloseMs))
		h.n[p+"close"] = med(r.CloseMs)
	}
	fmt.Fprintf(md, "| %s | %s | %s | %s (%s–%s) | %s | %s | %s | %s | %s | %s |\n", label, lib, r.ConnectedOn, f1(c),
		f1(slices.Min(r.ConnectedMs)), f1(slices.Max(r.ConnectedMs)), f1(e), best, bestTxt, r.Transport, closeTxt,
		strings.ReplaceAll(r.Reason, "|", "/"))
}

// netPair is two set-ups of row 3 that a target compares: measured in
// one process, alternating connect by connect.
type netPair struct{ a, b string }

var netPairs = []netPair{{"refused", "sse"}, {"tinyproxy", "direct"}}

func pairOf(id string) (netPair, bool) {
	for _, p := range netPairs {
		if p.a == id || p.b == id {
			return p, true
		}
	}
	return netPair{}, false
}

func (p netPair) other(id string) string {
	if id == p.a {
		return p.b
	}
	return p.a
}

func scenOf(scens []netScen, id string) netScen {
	for _, s := range scens {
		if s.id == id {
			return s
		}
	}
	return netScen{id: id}
}

// connectArgs are the flags of benchrun connect for s's Tether client;
// prefix "b" gives those of a pair's second set-up.
func connectArgs(s netScen, prefix string) []string {
	args := []string{"-" + prefix + "url", s.tURL, "-" + prefix + "best", s.tBest}
	if s.tProxy != "" {
		args = append(args, "-"+prefix+"proxy", s.tProxy)
	}
	if s.tOnly != "" {
		args = append(args, "-"+prefix+"transports", s.tOnly)
	}
	return args
}

// pairFigures keeps a pair's medians over its pairs of connects, in h.n:
// "r3.pair.<a>.ratio" (a's time to connected over b's) and ".diff" (a's
// minus b's, ms), and ".n" the number of pairs.
func (h *harness) pairFigures(pr netPair, p PairResult) {
	ratios, diffs := pairRatios(p)
	k := "r3.pair." + pr.a + "."
	h.n[k+"ratio"], h.n[k+"diff"], h.n[k+"n"] = med(ratios), med(diffs), float64(len(diffs))
	h.n[k+"ratio.q1"], h.n[k+"ratio.q3"] = quartile(ratios, 1), quartile(ratios, 3)
	h.n[k+"diff.q1"], h.n[k+"diff.q3"] = quartile(diffs, 1), quartile(diffs, 3)
}

// pairRatios returns, for each pair of connects of p, a's time to connected
// over b's (pairs where b's is above 0) and a's minus b's (ms).
func pairRatios(p PairResult) (ratios, diffs []float64) {
	for i := range min(len(p.A.ConnectedMs), len(p.B.ConnectedMs)) {
		a, b := p.A.ConnectedMs[i], p.B.ConnectedMs[i]
		diffs = append(diffs, a-b)
		if b > 0 {
			ratios = append(ratios, a/b)
		}
	}
	return ratios, diffs
}

// refusalFloor measures the refused upgrade's bare exchange (benchrun
// floor: raw TLS, nothing but the requests) in runs pairs, into h.n
// ("r3.floor.ratio", ".diff", the medians of the pairs' ratio and
// difference, and ".direct", the median direct connect, ms).
func (h *harness) refusalFloor(runs int) {
	var p PairResult
	if err := h.bench("0", h.srv0, &p, "floor", "-runs", strconv.Itoa(runs)); err != nil {
		h.warn(fmt.Errorf("refusal floor: %v", err))
		return
	}
	ratios, diffs := pairRatios(p)
	h.n["r3.floor.ratio"], h.n["r3.floor.diff"], h.n["r3.floor.direct"] = med(ratios), med(diffs), med(p.B.ConnectedMs)
}

// quartile returns the q-th quartile (1 or 3) of xs (the nearest rank).
func quartile(xs []float64, q int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(len(s)-1, (len(s)-1)*q/4)]
}
