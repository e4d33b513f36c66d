package rig

import (
	"bufio"
	"encoding/json"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Percentile returns the p-th percentile (0..100) of sorted durations.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(sorted)-1))
	return sorted[i]
}

// Median returns the median of xs (sorted in place).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// ProcStats is what a process says about itself: CPU time, memory, I/O
// system calls.
type ProcStats struct {
	UserNS, SysNS int64 // CPU time so far
	RSS           int64 // resident set, bytes
	HeapInuse     int64
	StackInuse    int64
	Goroutines    int
	SysCW, SysCR  int64 // write and read system calls so far (/proc/self/io)
}

// CPU is user + system time.
func (p ProcStats) CPU() time.Duration { return time.Duration(p.UserNS + p.SysNS) }

// Self returns the calling process's stats. With gc it collects garbage and
// returns freed memory to the OS first, so RSS shows live memory.
func Self(gc bool) ProcStats {
	if gc {
		runtime.GC()
		runtime.GC()
		debugFreeOSMemory()
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := ProcStats{
		UserNS:     ru.Utime.Nano(),
		SysNS:      ru.Stime.Nano(),
		HeapInuse:  int64(ms.HeapInuse),
		StackInuse: int64(ms.StackInuse),
		Goroutines: runtime.NumGoroutine(),
		RSS:        statusKB("VmRSS") * 1024,
	}
	s.SysCR, s.SysCW = procIO()
	return s
}

func statusKB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func procIO() (r, w int64) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscr: "); ok {
			r, _ = strconv.ParseInt(v, 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			w, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return r, w
}

// PidCPU returns the CPU time of a live process from /proc (10 ms ticks).
func PidCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	sy, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+sy) * 10 * time.Millisecond
}

// MachineCPU returns the CPU time of all cores so far (/proc/stat, every
// process on the machine): busy (user, nice, system, irq, softirq), steal
// (taken by the hypervisor) and total (busy + idle + iowait + steal).
func MachineCPU() (busy, steal, total time.Duration) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)[1:]
	v := make([]int64, 8)
	for i := range min(len(f), 8) {
		v[i], _ = strconv.ParseInt(f[i], 10, 64)
	}
	tick := 10 * time.Millisecond
	busyT := v[0] + v[1] + v[2] + v[5] + v[6]
	return time.Duration(busyT) * tick, time.Duration(v[7]) * tick, time.Duration(busyT+v[3]+v[4]+v[7]) * tick
}

// WriteJSON prints v as one JSON line on stdout.
func WriteJSON(v any) {
	json.NewEncoder(os.Stdout).Encode(v)
}
