// Package procs runs the real components the integration suite
// (integration/) and the benchmark (bench/) put between client and server:
// nginx, squid, tinyproxy, redis-server, node, tether serve. Each runs in
// the foreground as a child of the test or harness binary, in a process
// group of its own, killed with that binary if it dies (Pdeathsig: Linux
// only, so the package is empty elsewhere), and stopped by Stop; its output
// is kept for error messages. Templates of their configuration files are
// filled by FillTemplate. apt.sh, sourced by integration/setup.sh and
// bench/setup.sh, installs the programs.
package procs
