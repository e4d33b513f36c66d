// Package comp starts the real components the benchmark runs through
// (nginx, squid, tinyproxy, redis-server) on free loopback ports with
// internal/procs (as the integration suite does): children of the harness,
// each in a process group of its own, killed with the harness if that dies,
// and stopped by Stop. The configuration templates are in conf/ (the
// integration suite's integration/conf, cut down to what the benchmark
// needs).
package comp

import (
	"time"

	"github.com/tether-sdk/tether/internal/procs"
)

// Proc is a running component.
type Proc = procs.Proc

// StopGrace is how long Stop(StopGrace) lets a component end on SIGTERM
// before it is killed.
const StopGrace = 10 * time.Second

// start starts argv (pinned to cpu with taskset unless cpu is "") in dir.
func start(name, cpu, dir string, argv ...string) (*Proc, error) {
	if cpu != "" {
		// taskset runs argv[0] through PATH, which may lack the sbin
		// folders: give it the full path.
		bin, err := procs.LookBin(argv[0])
		if err != nil {
			return nil, err
		}
		argv = append([]string{"taskset", "-c", cpu, bin}, argv[1:]...)
	}
	return procs.Start(name, dir, argv...)
}
