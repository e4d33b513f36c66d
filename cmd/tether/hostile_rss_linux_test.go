//go:build linux

package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// rssMeasured: on Linux the suite measures the child's peak RSS (ru_maxrss,
// in KiB, through testdata/rusage), and fails when it cannot.
const rssMeasured = true

// currentRSS is the resident set of a running process, in bytes, from
// /proc/PID/status.
func currentRSS(pid int) (int64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(v)), " kB"), 10, 64)
			return kb * 1024, err == nil
		}
	}
	return 0, false
}

// socketSlack bounds what a connection's kernel buffers can hold beyond
// what the client read: the client's receive buffer (which grows up to
// tcp_rmem's maximum) and the server's send buffer (fixed, doubled by the
// kernel), plus 1 MiB.
func socketSlack() int64 {
	rmem := int64(32 << 20)
	if b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_rmem"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 3 {
			if v, err := strconv.ParseInt(f[2], 10, 64); err == nil {
				rmem = v
			}
		}
	}
	return rmem + 2*serverSendBuffer + 1<<20
}
