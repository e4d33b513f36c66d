package main

import (
	"fmt"
	"strings"
)

// netTargets judges issue 15's targets from row 3.
func (h *harness) netTargets(scens []netScen, tRes, sRes map[string]ConnectResult) {
	n := h.n
	get := func(lib, id, k string) (float64, bool) {
		v, ok := n["r3."+lib+"."+id+"."+k]
		return v, ok
	}
	// First echo against Socket.IO's, in every set-up both connect in.
	for _, s := range scens {
		if s.sioBase == "" {
			continue
		}
		t, okT := get("tether", s.id, "echo")
		so, okS := get("socketio", s.id, "echo")
		if !okT || !okS {
			continue
		}
		h.addTarget(target{Row: "3", What: "first echo vs Socket.IO's, " + s.label, Goal: "<= Socket.IO's",
			Measured: fmt.Sprintf("%s vs %s ms (%sx)", f1(t), f1(so), f2(t/so)), Met: t <= so})
	}
	// Buffering proxy and black hole: connected <= 300 ms, best within 3 s.
	for _, id := range []string{"nginx-buffered", "hole"} {
		c, ok := get("tether", id, "connected")
		if !ok {
			continue
		}
		best, _ := get("tether", id, "best")
		label := labelOf(scens, id)
		bestTxt := "not on it within 3 s in every run"
		if best >= 0 {
			bestTxt = fmt.Sprintf("on %s at %s ms", bestOf(scens, id), f1(best))
		}
		h.addTarget(target{Row: "3", What: label + ": connected, and on the best working transport", Goal: "<= 300 ms; best within 3 s",
			Measured: fmt.Sprintf("connected %s ms; %s", f1(c), bestTxt), Met: c <= 300 && best >= 0 && best <= 3000})
	}
	// Compared set-ups measured in pairs (row_net.go's netPairs) are judged
	// on the median over the pairs; otherwise on the medians' ratio.
	pair := func(a, k string) (float64, int, bool) {
		v, ok := n["r3.pair."+a+"."+k]
		return v, int(n["r3.pair."+a+".n"]), ok
	}
	if tp, ok := get("tether", "tinyproxy", "connected"); ok {
		if d, ok := get("tether", "direct", "connected"); ok {
			diff, pairs, isPair := pair("tinyproxy", "diff")
			var how string
			if isPair {
				how = fmt.Sprintf("median of %d paired differences, quartiles %+.1f and %+.1f ms; medians %s vs %s ms", pairs,
					n["r3.pair.tinyproxy.diff.q1"], n["r3.pair.tinyproxy.diff.q3"], f1(tp), f1(d))
			} else {
				diff = tp - d
				how = fmt.Sprintf("%s vs %s ms", f1(tp), f1(d))
			}
			h.addTarget(target{Row: "3", What: "through tinyproxy vs direct, time to connected", Goal: "<= direct + 10 ms",
				Measured: fmt.Sprintf("%+.1f ms (%s)", diff, how), Met: diff <= 10})
		}
	}
	if ref, ok := get("tether", "refused", "connected"); ok {
		if sse, ok := get("tether", "sse", "connected"); ok && sse > 0 {
			ratio, pairs, isPair := pair("refused", "ratio")
			how := fmt.Sprintf("%s vs %s ms", f1(ref), f1(sse))
			if isPair {
				how = fmt.Sprintf("median of %d paired ratios, quartiles %sx and %sx; medians %s vs %s ms", pairs,
					f2(n["r3.pair.refused.ratio.q1"]), f2(n["r3.pair.refused.ratio.q3"]), f1(ref), f1(sse))
			} else {
				ratio = ref / sse
			}
			t := target{Row: "3", What: "upgrade refused (400) -> SSE vs SSE configured directly, time to connected", Goal: "<= 1.2x",
				Measured: fmt.Sprintf("%sx (%s)", f2(ratio), how), Met: ratio <= 1.2}
			if fd, ok := n["r3.floor.diff"]; ok && isPair {
				// The bare exchange, on raw TLS in the same run: what any
				// client that sends the upgrade pays, over Tether's own
				// SSE connect.
				t.Note = fmt.Sprintf("the refusal costs Tether %+.2f ms over its SSE connect; the bare exchange (raw TLS, the same requests, %d pairs, same run) %+.2f ms, "+
					"%sx of a raw SSE connect (%s ms), which is %sx of Tether's: the floor for any client that sends the upgrade",
					n["r3.pair.refused.diff"], int(n["r3.pair.refused.n"]), fd, f2(n["r3.floor.ratio"]), f2(n["r3.floor.direct"]), f2(1+fd/sse))
			}
			h.addTarget(t)
		}
	}
	// Where WebSocket works, on WebSocket within 1 s of connecting.
	var parts []string
	met, seen := true, false
	for _, s := range scens {
		if s.tBest != "websocket" {
			continue
		}
		reached, ok := get("tether", s.id, "reached")
		if !ok {
			continue
		}
		seen = true
		after, _ := get("tether", s.id, "afterconnect")
		if reached < 1 {
			met = false
			parts = append(parts, fmt.Sprintf("%s: %s of the runs on WebSocket within 3 s", s.id, f0(100*reached)+"%"))
			continue
		}
		if after > 1000 {
			met = false
		}
		parts = append(parts, fmt.Sprintf("%s +%s ms", s.id, f1(max(after, 0))))
	}
	if seen {
		h.addTarget(target{Row: "3", What: "where WebSocket works, on WebSocket after connecting (median per set-up)", Goal: "<= 1 s",
			Measured: strings.Join(parts, "; "), Met: met})
	}
}

func labelOf(scens []netScen, id string) string {
	for _, s := range scens {
		if s.id == id {
			return s.label
		}
	}
	return id
}

func bestOf(scens []netScen, id string) string {
	for _, s := range scens {
		if s.id == id {
			return s.tBest
		}
	}
	return "?"
}
