package main

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"time"
)

var diagToken = regexp.MustCompile(`\s*diag:(\S+)`)

// report renders BENCHMARKS.md.
func (h *harness) report() string {
	var b strings.Builder
	b.WriteString("# Tether benchmarks\n\n")
	if h.quick {
		b.WriteString("> **Quick run** (`benchrun run -quick`): one short run per row, for developing the harness. Not for comparing; run `make bench`.\n\n")
	}
	fmt.Fprintf(&b, "Written by `%s` (bench/cmd/benchrun), %s; the run took %v. Each target below is judged from this run only.\n\n",
		h.command, h.started.UTC().Format("2006-01-02 15:04 MST"), time.Since(h.started).Round(time.Second))
	b.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| CPU | %s (/proc/cpuinfo model name), %d cores, kernel %s |\n", cpuModel(), runtime.NumCPU(), cmdOut("uname", "-r"))
	fmt.Fprintf(&b, "| Go | %s (%s/%s) |\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "| Node, Socket.IO | node %s, socket.io %s, socket.io-client %s |\n", cmdOut("node", "--version"),
		nodePkgVersion(h.nodeDir, "socket.io"), nodePkgVersion(h.nodeDir, "socket.io-client"))
	fmt.Fprintf(&b, "| Compared with | gorilla/websocket v1.5.3, coder/websocket v1.8.15 (bench/go.mod) |\n")
	fmt.Fprintf(&b, "| Command | `make bench` (builds bench/bin/benchserver and bench/bin/benchrun, then `cd bench && bin/benchrun run -out ../BENCHMARKS.md`) |\n")
	fmt.Fprintf(&b, "| Load | %s |\n\n", h.loadSummary())

	b.WriteString("## Targets\n\n| row | what | target | measured | result | note |\n|---|---|---|---|---|---|\n")
	var notMet []target
	for _, t := range h.targets {
		note := t.Note
		keys := diagToken.FindAllStringSubmatch(note, -1)
		note = strings.TrimSpace(diagToken.ReplaceAllString(note, ""))
		if !t.Met && len(keys) > 0 {
			if note != "" {
				note += " "
			}
			note += "Why, and what would close it: see [Diagnosis](#diagnosis-of-the-targets-not-met)."
			notMet = append(notMet, t)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", t.Row, t.What, t.Goal, t.Measured, metWord(t.Met), note)
	}
	b.WriteString("\n")
	for _, s := range h.sections {
		b.WriteString(s)
	}

	b.WriteString("## Load during the run\n\n")
	b.WriteString("This machine is shared: other engineers run their tests on it at the same time. Per row: the machine's busy CPU time " +
		"(/proc/stat) minus ours (this harness, its finished children, and the live servers) is the others'; steal is time the hypervisor " +
		"took (this VM reports none even when the host is busy). The speed column is a 100 ms AES-GCM seal on CPU 0 just before the row: " +
		"while developing this harness the same benchmark moved by up to 2x between runs minutes apart with nothing else busy on this VM, so " +
		"absolute numbers here are of this run only; the ratios between libraries, measured in the same interleaved rounds, are the robust part.\n\n")
	b.WriteString("| row | wall | our CPU | others' CPU (share of 2 cores) | steal | loadavg before → after | speed: AES-GCM seal GB/s |\n|---|---|---|---|---|---|---|\n")
	for _, l := range h.loads {
		fmt.Fprintf(&b, "| %s | %v | %v | %v (%s%%) | %v | %s → %s | %s |\n", l.Row, l.Wall.Round(time.Second), l.Ours.Round(10*time.Millisecond),
			l.Others.Round(10*time.Millisecond), f0(100*l.Others.Seconds()/(2*l.Wall.Seconds())), l.Steal.Round(10*time.Millisecond), l.LoadAvgStart, l.LoadAv, f2(l.Speed))
	}
	b.WriteString("\n")
	b.WriteString(methodText)

	b.WriteString("## Diagnosis of the targets not met\n\n")
	if len(notMet) == 0 {
		b.WriteString("Every target was met in this run.\n\n")
	}
	seen := map[string]bool{}
	for _, t := range notMet {
		for _, k := range diagToken.FindAllStringSubmatch(t.Note, -1) {
			if seen[k[1]] {
				continue
			}
			seen[k[1]] = true
			fmt.Fprintf(&b, "### Row %s: %s\n\n%s\n\n", t.Row, t.What, h.diagnosis(k[1]))
		}
	}
	return b.String()
}

func (h *harness) loadSummary() string {
	var wall, others, steal time.Duration
	for _, l := range h.loads {
		wall += l.Wall
		others += l.Others
		steal += l.Steal
	}
	if wall == 0 {
		return "not measured"
	}
	return fmt.Sprintf("other processes used %v of CPU during the %v of rows, %s%% of the 2 cores on average (per row below); steal %v; "+
		"load average %s at the start, %s at the end", others.Round(time.Second), wall.Round(time.Second),
		f0(100*others.Seconds()/(2*wall.Seconds())), steal.Round(10*time.Millisecond), h.loads[0].LoadAvgStart, h.loads[len(h.loads)-1].LoadAv)
}

const methodText = `## Method

- Everything runs on loopback TLS 1.3 with a throw-away CA (internal/certs), client and server in separate processes:
  bench/cmd/benchserver (every Go server: Tether's server.Handler, a gorilla/websocket and a coder/websocket echo/push/sink
  server, and Tether endpoints whose WebSocket upgrade is refused with 400 or never answered) and bench/node/server.js
  (Socket.IO 4.x on node's https). Each measurement is a fresh client process (` + "`benchrun echo|push|connect|mem|aes`" + `,
  ` + "`node bench/node/client.js`" + `) started under taskset, so nothing is shared between rows but the servers.
- Pinning, as shared/FIELD.md explains: on this 2-core VM a cross-CPU wake-up costs ~45 µs, which makes two-core ping-pong
  bimodal; the judged rows pin client and server to the same core (CPU 0). The two-core pipelined and ping-pong rows are shown
  for information. Go sets GOMAXPROCS from the affinity mask, so pinned processes run with GOMAXPROCS=1.
- Messages are 1 KiB. Row 1 uses binary messages (the framing comparison: Tether validates UTF-8 on text, gorilla and coder do
  not); row 2 uses text (as Socket.IO and most fallback users do) and shows binary (base64 inside JSON on SSE and long-poll) too.
- Tether clients run with default options except the CA and ProbeInterval -1 (a client on a fallback must not move back to
  WebSocket in the middle of a fallback row); Tether servers with default options, except the one diagnostic row that says so.
- Rows 1, 2 and 6 interleave the libraries in each round and report medians (row 1: 5 rounds, rows 2 and 6: 3); row 3 medians of 20 connects; row 4 one
  run of 5,000 connections per library; row 5 is ` + "`go test -bench`" + ` in bench/ (the same benchmarks a developer runs).

`

// diagnosis explains a target that was not met, with this run's numbers.
func (h *harness) diagnosis(key string) string {
	n := h.n
	switch {
	case strings.HasPrefix(key, "r1.tether-raw"):
		mode := strings.TrimPrefix(key, "r1.tether-raw.")
		return fmt.Sprintf("Raw mode is gorilla underneath and writes the same frames (write syscalls per message %s client, as gorilla's %s), "+
			"so the gap is the layer's own work per message, all on the one core:\n\n"+
			"- two goroutine hand-offs per direction: `Client.Send` only queues into the outbox and `writeLoop` writes (client/client.go `Send`, "+
			"client/conn.go `writeLoop`); `readLoop` puts each message into the inbox and `Receive` takes it (client/conn.go `deliver`);\n"+
			"- every hand-off closes and remakes the `wake` channel (`signalLocked`, client/client.go): one allocation and a wake-up of every waiter per state change;\n"+
			"- receive allocations: %s allocs/op against gorilla's %s (row 5): a `context.AfterFunc` registration and its closure per `Recv` "+
			"(transport/wslink.go `Recv`), and a copy of every payload that gorilla's `ReadMessage` already allocated (client/conn.go `deliver`, `make`+`copy`).\n\n"+
			"What would close it: in raw mode write from `Send` directly when the writer is idle (keep the queue only for backpressure and "+
			"reconnects); hand the `ReadMessage` buffer to the inbox instead of copying it; register the context once per link rather than per "+
			"`Recv`; signal with a channel that is only replaced when someone waits. (%s.)",
			f2(n["r1.1core."+mode+".tether-raw.cw"]), f2(n["r1.1core."+mode+".gorilla.cw"]),
			f0(n["r5.BenchmarkClientReceive/tether-raw"]), f0(n["r5.gorilla.recv"]), modeLine(n, "tether-raw", mode))
	case strings.HasPrefix(key, "r1.tether"):
		mode := strings.TrimPrefix(key, "r1.tether.")
		s := fmt.Sprintf("Session mode writes every frame the way gorilla's naive loop does (one WebSocket message, one TLS record, one write(2): "+
			"transport/wslink.go `writeLocked` calls `NextWriter`/`Close` per frame, server/ws.go `writeData` likewise), and adds per message:\n\n"+
			"- **an ack frame as a WebSocket message of its own, flushed at once**: client/conn.go `writeLoop` appends `KindAck` whenever "+
			"`recv > cn.ackSent`, server/ws.go `writeLoop` writes `b.ackDue` acks right after the data. In ping-pong every message is "+
			"followed by an ack in each direction: %s write syscalls per message on the client and %s on the server, against %s and %s "+
			"for gorilla. Pipelined, the acks ride once per batch (%s / %s).\n"+
			"- two goroutine hand-offs per direction on each side (Send -> outbox -> `writeLoop`; `readLoop` -> inbox -> Receive, and the same "+
			"through `Session.Send`/`Receive` on the server), each closing and remaking a `wake` channel (`signalLocked` in client/client.go "+
			"and server/session.go);\n"+
			"- the receive-path allocations of row 5 (%s allocs/op on the client, %s on the server, against gorilla's %s).\n\n"+
			"%s"+
			"What would close it, in order of effect: (1) delay acks as PROTOCOL.md 4.4 already allows (within 50 ms or after 64 frames), so "+
			"ping-pong carries no ack frames of its own; (2) coalesce writes: both writers already hold a batch (64 KiB on the client, 256 KiB "+
			"on the server) but flush each frame; encoding the batch's frames into one buffer and writing once (for example a buffered "+
			"net.Conn under gorilla flushed at the end of each batch) turns N write(2) and N TLS records into one, which is how a layer "+
			"beats gorilla's naive loop pipelined; (3) cut the receive allocations (row 5). (%s.)",
			f2(n["r1.1core.pingpong.tether.cw"]), f2(n["r1.1core.pingpong.tether.sw"]),
			f2(n["r1.1core.pingpong.gorilla.cw"]), f2(n["r1.1core.pingpong.gorilla.sw"]),
			f2(n["r1.1core.pipelined.tether.cw"]), f2(n["r1.1core.pipelined.tether.sw"]),
			f0(n["r5.BenchmarkClientReceive/tether"]), f0(n["r5.BenchmarkServerReceive"]), f0(n["r5.gorilla.recv"]), h.perWrite(), modeLine(n, "tether", mode))
		return s
	case key == "r2.sse":
		big := n["r2.push.sse-text-bigbuf"]
		return fmt.Sprintf("The SSE row is held by flow control, not by CPU. The client acknowledges on SSE at most once per `sseAckInterval` "+
			"(250 ms, client/conn.go), because each ack is a POST; the server keeps at most `MaxBufferedBytes` unacknowledged per session "+
			"(4 MiB by default, server/options.go) and then blocks `Session.Send`. So the stream moves at most about 4 MiB per 250 ms plus "+
			"an ack round trip, about 16 MB/s or 16k messages of 1 KiB per second, however fast the machine. This run: SSE %s msgs/s; "+
			"the same row with the server's buffer raised to 64 MiB (diagnostic row) %s msgs/s, %sx of WebSocket.\n\n"+
			"What would close it: acknowledge by amount as well as by time on SSE: an ack POST once a quarter (say) of the server's window has "+
			"arrived, with the window announced in the welcome (it already carries `max`; add the buffer size), or every 64 frames as "+
			"PROTOCOL.md 4.4 recommends; then the window never stalls and SSE runs at its CPU cost.",
			f0(n["r2.push.sse-text"]), f0(big), f2(n["r2.pushratio.sse-text-bigbuf"]))
	case key == "r2.lp":
		return fmt.Sprintf("Long-poll moved %s msgs/s against %s on WebSocket. Each poll answer carries up to 512 KiB "+
			"(server/poll.go `pollBatchBytes`), and the next poll only leaves once the client has read, parsed (`wire.ParseJSONBatch`, "+
			"fallback/poll.go) and handed over the answer, so the transfer alternates between the two processes on the one core instead of "+
			"overlapping; JSON escaping and parsing make the per-message CPU several times WebSocket's (see the CPU column). "+
			"What would close it: keep a second poll outstanding while the first answer is parsed (the protocol's ack in the poll "+
			"makes that safe), and parse the batch without copying each payload.",
			f0(n["r2.push.lp-text"]), f0(n["r2.push.ws-text"]))
	case key == "r2.sio":
		return fmt.Sprintf("Tether long-poll echo %s msgs/s against Socket.IO polling %s msgs/s. On long-poll every Send batch is a POST whose "+
			"answer the client's writer waits for before it sends the next (`link.Send` is synchronous: client/conn.go `writeLoop` calls "+
			"`cn.l.Send`, fallback/http.go `send`/`post`), and the echoes come back in poll answers that alternate with the polls; with "+
			"128 messages in flight each POST and each poll carry a few dozen messages. What would close it: let the writer keep a second POST "+
			"in flight (sequence numbers already make replays safe), and carry the client's data in the poll request itself when one is due.",
			f0(n["r2.echo.lp"]), f0(n["r2.sio.polling-echo"]))
	case key == "r3.refused":
		return fmt.Sprintf("Refused: %s ms against SSE direct %s ms. The refused attempt costs its own TCP connect, TLS handshake and upgrade "+
			"request before SSE starts a second connection: gorilla closes the connection that carried the 400 "+
			"(transport/websocket.go `DialWebSocket` -> `wsError`), and the fallback dials anew through `Dialer.HTTPClient`. The shared "+
			"`ClientSessionCache` (transport/dialer.go) makes the second handshake a resumption (checked: `DidResume` is true), but a TLS 1.3 "+
			"resumption is still a round trip with a fresh key exchange (X25519MLKEM768 by default since Go 1.24), and the two connects run "+
			"one after the other. What would close it: after a complete 4xx answer to the upgrade, give that keep-alive connection to the "+
			"HTTP client for the SSE request (a custom `DialTLSContext` that returns it once), or start the SSE connection's TCP+TLS in "+
			"parallel with the upgrade and use it only if the upgrade fails.",
			f1(n["r3.refused"]), f1(n["r3.sse"]))
	case key == "r3.hole":
		return fmt.Sprintf("Black hole: %s ms with the %v timer, i.e. %s ms after the timer, against %s ms for SSE connected directly. "+
			"SSE only starts when the slow timer fires (client/connect.go `negotiate`), and then pays its whole connect (TCP, TLS, request, "+
			"welcome) while the hung upgrade still holds its connection. What would close it: open the fallback's TCP+TLS connection ahead "+
			"of the timer (for example at half of it) so that only the request remains when the timer fires; and report the silent "+
			"upgrade in the ConnectedEvent (today the reason reads only \"sse answered in ...\", with no word of the WebSocket that hung).",
			f1(n["r3.hole"]), slowTimeout, f1(n["r3.hole"]-float64(slowTimeout)/1e6), f1(n["r3.sse"]))
	case key == "r4":
		return fmt.Sprintf("Tether %s KiB RSS per idle connection against gorilla's %s KiB: %s goroutines per connection against %s "+
			"(client/client.go `Dial` starts `supervise`; client/conn.go `watch` starts `readLoop` and `writeLoop`), which is %s KiB of "+
			"stacks against %s, and %s KiB of heap against %s. Both sit on the same gorilla connection (4 KiB read and 4 KiB write buffer, "+
			"`websocket.newConn`) and the same TLS state (about 7 KiB); a heap profile taken while building this harness "+
			"(`benchrun mem -memprofile`, MemProfileRate 1, 1,000 connections) puts Tether's own share at about 5-6 KiB a connection before "+
			"size-class rounding: `transport.New` 1.4 KiB (a Dialer per Dial with its own proxy function, parsed target and TLS session cache "+
			"holding a ticket, transport/dialer.go), `client.Dial` and `newLinkDialer` 0.6 KiB, contexts and the per-`Recv` `context.AfterFunc` "+
			"about 1 KiB, the retained welcome 0.3 KiB, the event dispatcher 0.3 KiB, the supervisor's and writer's buffers 0.4 KiB. "+
			"What would close it: start `writeLoop` only when there is something to write and let it exit when idle (or fold it into "+
			"`supervise`), which removes a stack; a shared `WriteBufferPool` for the gorilla connection (transport/websocket.go leaves it nil; "+
			"FIELD.md measured 32 -> 23 KiB for plain gorilla with one), which would more than pay for the rest; one Dialer and session cache "+
			"shared by the clients of one Config; register the read context once per link.",
			f1(n["r4.tether.rss"]/1024), f1(n["r4.gorilla.rss"]/1024), f1(n["r4.tether.g"]), f1(n["r4.gorilla.g"]),
			f1(n["r4.tether.stack"]/1024), f1(n["r4.gorilla.stack"]/1024), f1(n["r4.tether.heap"]/1024), f1(n["r4.gorilla.heap"]/1024))
	case key == "r5.ClientReceive/tether", key == "r5.ClientReceive/tether-raw":
		name := "Benchmark" + strings.TrimPrefix(key, "r5.")
		return fmt.Sprintf("%s allocs/op (gorilla's own `ReadMessage` loop: %s). From a -memprofilerate=1 profile of this benchmark, per message: "+
			"gorilla `ReadMessage` 5 (`io.ReadAll` growing its buffer 4, `NextReader`'s message reader 1), used as is by transport/wslink.go `read`; "+
			"`context.AfterFunc` per `Recv` 2, plus its closure 1 (transport/wslink.go `Recv`); a copy of the payload 1 (client/conn.go `deliver`, "+
			"`make`+`copy` of data that `ReadMessage` just allocated); `signalLocked` 2 (client/client.go: `deliver` and `Receive` each "+
			"close and remake the wake channel). What would close it (to 1-2): read with `NextReader` into a buffer sized from the frame "+
			"and give that buffer to the inbox (no `io.ReadAll`, no copy); register the context once per link; replace the wake "+
			"channel only when a waiter took it (or use a sync.Cond).", f0(n["r5."+name]), f0(n["r5.gorilla.recv"]))
	case key == "r5.ServerReceive":
		return fmt.Sprintf("%s allocs/op. Per message: gorilla `ReadMessage` 5 (`io.ReadAll` 4, message reader 1; server/ws.go `read`), "+
			"a copy of the payload 1 (server/attach.go `deliver`, `make`+`copy` of data `ReadMessage` just allocated), `signalLocked` 2 "+
			"(server/session.go: `deliver` and `Receive`). What would close it: as on the client, read into a buffer the inbox then owns, "+
			"and replace the wake channel only when it was waited on.", f0(n["r5.BenchmarkServerReceive"]))
	case key == "r5.ClientSend/tether", key == "r5.ClientSend/tether-raw":
		return fmt.Sprintf("%s allocs/op: gorilla's `NextWriter` allocates a message writer per message on the client side (its "+
			"allocation-free `WriteMessage` path is server-only; gorilla's own loop: %s), and `Send` remakes the wake channel "+
			"(client/client.go `signalLocked`).", f0(n["r5.Benchmark"+strings.TrimPrefix(key, "r5.")]), f0(n["r5.gorilla.send"]))
	case key == "r5.ServerSend":
		return fmt.Sprintf("%s allocs/op: gorilla's `NextWriter` (server/ws.go `writeData`) and `Session.Send`'s `signalLocked`.", f0(n["r5.BenchmarkServerSend"]))
	}
	return "(no diagnosis recorded for " + key + ")"
}

// perWrite is the evidence that the cost is per write: the profile of row 1
// and the fallbacks of row 2, which batch.
func (h *harness) perWrite() string {
	n := h.n
	s := ""
	if n["prof.cli.syscall"] > 0 {
		s = fmt.Sprintf("The CPU profiles of row 1 (this run) put system calls at %s%% of the client's samples and %s%% of the server's, AES-GCM at %s%% and %s%%: "+
			"the cost is per write, not per byte. ", f0(n["prof.cli.syscall"]), f0(n["prof.srv.syscall"]), f0(n["prof.cli.aes"]), f0(n["prof.srv.aes"]))
	}
	if n["r2.echo.ws"] > 0 && n["r2.echo.lp"] > 0 {
		s += fmt.Sprintf("For comparison (row 2, text): Tether's SSE and long-poll links, which carry many frames in one POST body and one poll "+
			"answer, echo %s and %s msgs/s against %s on its WebSocket, despite an HTTP request per batch and JSON encoding. ",
			f0(n["r2.echo.sse"]), f0(n["r2.echo.lp"]), f0(n["r2.echo.ws"]))
	}
	if s != "" {
		s += "\n\n"
	}
	return s
}

func modeLine(n map[string]float64, lib, mode string) string {
	return fmt.Sprintf("%s one core: %s %s msgs/s against gorilla %s, p50 %s µs against %s, CPU %s µs/msg against %s",
		map[string]string{"pipelined": "Pipelined", "pingpong": "Ping-pong"}[mode],
		lib, f0(n["r1.1core."+mode+"."+lib+".rate"]), f0(n["r1.1core."+mode+".gorilla.rate"]),
		f0(n["r1.1core."+mode+"."+lib+".p50"]), f0(n["r1.1core."+mode+".gorilla.p50"]),
		f1(n["r1.1core."+mode+"."+lib+".cpu"]), f1(n["r1.1core."+mode+".gorilla.cpu"]))
}
