package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tether-sdk/tether/bench/internal/rig"
)

// proc is a long-running process of the harness (a server).
type proc struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	base  string // the URL it printed
}

// harness runs the rows and collects the report.
type harness struct {
	bin, benchDir, nodeDir, tmp, certs string
	quick                              bool
	reps                               int
	dur                                time.Duration
	command                            string
	netOnly                            []string // set-ups of row 3 to run; nil: all
	verbose                            bool

	srv0, srv1, srvAll, node *proc
	procs                    []*proc

	targets  []target
	sections []string // markdown of each row
	loads    []load
	started  time.Time

	// Numbers the diagnoses quote.
	n map[string]float64
}

// target is one line of the summary.
type target struct {
	Row, What, Goal, Measured string
	Met                       bool
	Note                      string // why, and what would close it, when not met
}

// load is the machine's load during one row.
type load struct {
	Row                  string
	Wall                 time.Duration
	Ours, Others, Steal  time.Duration
	LoadAvgStart, LoadAv string  // /proc/loadavg before and after
	Speed                float64 // AES-128-GCM seal GB/s on CPU 0 just before the row: the machine's speed then
}

func runAll(args []string) {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	out := fs.String("out", "../BENCHMARKS.md", "report to write")
	bin := fs.String("bin", "bin", "directory with benchrun and benchserver")
	benchDir := fs.String("benchdir", ".", "the bench module (for go test -bench)")
	nodeDir := fs.String("node", "node", "the Socket.IO side (package.json, node_modules)")
	quick := fs.Bool("quick", false, "short runs, for developing the harness (the report says so)")
	only := fs.String("only", "", "comma-separated rows to run (1-7; default all)")
	verbose := fs.Bool("v", false, "print each client run and how long it took")
	netOnly := fs.String("net", "", "comma-separated set-ups of row 3 to run (direct, nginx-ok, nginx-blocked, nginx-buffered, hole, squid, tinyproxy, sse, longpoll, refused; default all)")
	fs.Parse(args)

	h := &harness{quick: *quick, reps: 3, dur: time.Second, n: map[string]float64{}, started: time.Now()}
	h.command = "make bench"
	h.verbose = *verbose
	if *netOnly != "" {
		h.netOnly = strings.Split(*netOnly, ",")
	}
	if *quick {
		h.reps, h.dur = 1, 300*time.Millisecond
		h.command = "benchrun run -quick"
	}
	var err error
	for _, p := range []*string{bin, benchDir, nodeDir} {
		if *p, err = filepath.Abs(*p); err != nil {
			log.Fatal(err)
		}
	}
	h.bin, h.benchDir, h.nodeDir = *bin, *benchDir, *nodeDir
	if h.tmp, err = os.MkdirTemp("", "tether-bench-"); err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(h.tmp)
	h.certs = filepath.Join(h.tmp, "certs")
	if err := rig.Certs(h.certs); err != nil {
		log.Fatal(err)
	}
	defer h.stopAll()
	h.srv0 = h.start("benchserver (CPU 0)", "0", nil, filepath.Join(h.bin, "benchserver"), "serve", "-certs", h.certs)
	h.srv1 = h.start("benchserver (CPU 1)", "1", nil, filepath.Join(h.bin, "benchserver"), "serve", "-certs", h.certs)
	h.srvAll = h.start("benchserver (both CPUs)", "", nil, filepath.Join(h.bin, "benchserver"), "serve", "-certs", h.certs)
	h.node = h.start("Socket.IO server (CPU 0)", "0", nil, "node", filepath.Join(h.nodeDir, "server.js"), "--certs", h.certs)

	rows := []struct {
		id  string
		fn  func()
		txt string
	}{
		{"1", h.row1, "1. WebSocket echo"},
		{"2", h.row2, "2. Fallback throughput and Socket.IO"},
		{"3", h.row3, "3. Time to connected"},
		{"4", h.row4, "4. Idle memory per connection"},
		{"5", h.row5, "5. Allocations per message"},
		{"6", h.row6, "6. CPU per MB and the AES-GCM limit"},
		{"7", h.row7, "7. Several nodes on Redis"},
	}
	for _, r := range rows {
		if *only != "" && !slices.Contains(strings.Split(*only, ","), r.id) {
			continue
		}
		fmt.Fprintf(os.Stderr, "== %s\n", r.txt)
		h.measureLoad(r.txt, r.fn)
	}
	h.stopAll()
	report := h.report()
	fmt.Println(report)
	if err := os.WriteFile(*out, []byte(report+keptTail(*out)), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s in %v\n", *out, time.Since(h.started).Round(time.Second))
}

// start starts a server pinned to cpu ("" = not pinned) and waits for the
// URL it prints.
func (h *harness) start(name, cpu string, env []string, argv ...string) *proc {
	if cpu != "" {
		argv = append([]string{"taskset", "-c", cpu}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		log.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		log.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		log.Fatalf("%s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, stdin: stdin}
	h.procs = append(h.procs, p)
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(s)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case p.base = <-line:
	case <-time.After(30 * time.Second):
	}
	if !strings.HasPrefix(p.base, "https://") {
		h.stopAll()
		log.Fatalf("%s did not start (%q)", name, p.base)
	}
	return p
}

// stopAll closes the servers' standard input (they exit) and waits.
func (h *harness) stopAll() {
	for _, p := range h.procs {
		p.stdin.Close()
	}
	for _, p := range h.procs {
		p.wait()
	}
	h.procs = nil
}

// wait waits for p to exit (its standard input closed), at most 10 s, then
// kills it.
func (p *proc) wait() {
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// ourCPU is the CPU time of this process, its finished children and the
// live servers.
func (h *harness) ourCPU() time.Duration {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	t := time.Duration(self.Utime.Nano() + self.Stime.Nano() + kids.Utime.Nano() + kids.Stime.Nano())
	for _, p := range h.procs {
		t += rig.PidCPU(p.cmd.Process.Pid)
	}
	return t
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// measureLoad runs fn and records how busy the machine was meanwhile, and
// how much of that was not ours.
func (h *harness) measureLoad(row string, fn func()) {
	var speed AESResult
	if err := h.client("0", &speed, h.binPath("benchrun"), "aes", "-dur", "100ms"); err != nil {
		h.warn(err)
	}
	la := loadavg()
	b0, st0, _ := rig.MachineCPU()
	o0 := h.ourCPU()
	w0 := time.Now()
	fn()
	b1, st1, _ := rig.MachineCPU()
	o1 := h.ourCPU()
	others := (b1 - b0) - (o1 - o0)
	if others < 0 {
		others = 0
	}
	h.loads = append(h.loads, load{Row: row, Wall: time.Since(w0), Ours: o1 - o0, Others: others, Steal: st1 - st0, LoadAvgStart: la, LoadAv: loadavg(), Speed: speed.SealGBps})
}

// client runs a client workload pinned to cpu and decodes its JSON line.
func (h *harness) client(cpu string, v any, argv ...string) error {
	if cpu != "" {
		argv = append([]string{"taskset", "-c", cpu}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+rig.CAFile(h.certs))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err := cmd.Run()
	if h.verbose {
		fmt.Fprintf(os.Stderr, "benchrun: %v %s\n", time.Since(t0).Round(time.Millisecond), strings.Join(argv, " "))
	}
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	return json.Unmarshal([]byte(lines[len(lines)-1]), v)
}

// bench runs a benchrun workload against server s.
func (h *harness) bench(cpu string, s *proc, v any, sub string, args ...string) error {
	argv := append([]string{filepath.Join(h.bin, "benchrun"), sub, "-base", s.base, "-certs", h.certs}, args...)
	return h.client(cpu, v, argv...)
}

// nodeClient runs bench/node/client.js against the Socket.IO server.
func (h *harness) nodeClient(v any, args ...string) error {
	argv := append([]string{"node", filepath.Join(h.nodeDir, "client.js"), "--url", h.node.base}, args...)
	return h.client("0", v, argv...)
}

func (h *harness) warn(err error) {
	fmt.Fprintf(os.Stderr, "benchrun: %v\n", err)
}

func (h *harness) addTarget(t target) { h.targets = append(h.targets, t) }

func (h *harness) section(md string) {
	h.sections = append(h.sections, md)
	fmt.Fprintln(os.Stderr, md)
}

func med(xs []float64) float64 { return rig.Median(slices.Clone(xs)) }

func f0(x float64) string { return strconv.FormatFloat(x, 'f', 0, 64) }
func f1(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }
func f2(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

func metWord(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**not met**"
}

// ---- machine ----

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return "?"
}

func cmdOut(argv ...string) string {
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func nodePkgVersion(nodeDir, pkg string) string {
	b, err := os.ReadFile(filepath.Join(nodeDir, "node_modules", pkg, "package.json"))
	if err != nil {
		return "?"
	}
	var v struct{ Version string }
	json.Unmarshal(b, &v)
	return v.Version
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+([\d.]+) ns/op(?:\s+([\d.]+) MB/s)?\s+(\d+) B/op\s+(\d+) allocs/op`)

// keptMarker starts the hand-written part of the report file (figures from
// other harnesses, such as the browser bundle's size from make wasm): a run
// rewrites what is above it and keeps it and what follows.
const keptMarker = "<!-- kept by benchrun: hand-written sections below -->"

// keptTail returns the marker and everything after it in the file at path,
// or "" when the file or the marker is missing.
func keptTail(path string) string {
	old, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	i := strings.Index(string(old), keptMarker)
	if i < 0 {
		return ""
	}
	return "\n" + string(old[i:])
}
