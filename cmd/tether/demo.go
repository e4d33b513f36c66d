package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

const demoSynopsis = `
Usage: tether demo [-v]

Shows what Tether does, in one process and well under a minute, with nothing
to install: it starts a Tether server over TLS (with a CA made on the spot), an
HTTP forward proxy, a reverse proxy that strips WebSocket upgrades and one that
buffers responses, all on 127.0.0.1, and a client that goes through each of
them, keeps its messages through a server restart, and refuses a wrong pin.
It exits 0 when every step behaved as described.
`

// demo runs the steps against a world and prints what happened.
type demo struct {
	w       *world
	out     io.Writer
	stderr  io.Writer
	verbose bool
}

type demoStep struct {
	title string
	run   func(ctx context.Context, d *demo) ([]string, error)
}

func runDemo(ctx context.Context, e *env, args []string) int {
	var verbose bool
	fs := newFlagSet("demo", demoSynopsis)
	fs.BoolVar(&verbose, "v", false, "also print the client's connection events (logfmt) on stderr")
	pos, code, done := fs.parse(e, args)
	if done {
		return code
	}
	if len(pos) > 0 {
		return fail(e.stderr, usagef("demo: unexpected argument %q (see tether demo -h)", pos[0]))
	}
	start := time.Now()
	w, err := newWorld()
	if err != nil {
		return fail(e.stderr, fmt.Errorf("demo: setting up: %w", err))
	}
	defer w.close()
	d := &demo{w: w, out: e.stdout, stderr: e.stderr, verbose: verbose}
	d.intro()
	steps := demoSteps()
	for i, s := range steps {
		fmt.Fprintf(d.out, "\n%d. %s\n", i+1, s.title)
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		lines, err := s.run(sctx, d)
		cancel()
		for _, l := range lines {
			fmt.Fprintln(d.out, "   "+l)
		}
		if err != nil {
			if ctx.Err() != nil {
				err = errInterrupted
			}
			fmt.Fprintln(d.out, "   FAILED")
			return fail(e.stderr, fmt.Errorf("demo step %d failed: %s", i+1, describe(err)))
		}
	}
	fmt.Fprintf(d.out, "\nAll %d steps passed in %s.\n", len(steps), fmtDur(time.Since(start)))
	d.outro()
	return exitOK
}

func (d *demo) intro() {
	p := func(format string, args ...any) { fmt.Fprintf(d.out, format+"\n", args...) }
	p("Tether demo: a server, three hostile network pieces and a client, all in this process on 127.0.0.1.")
	p("  server           %s  Tether echo server; TLS with a CA made a moment ago, which the client trusts", d.w.serverURL())
	p("  stripping proxy  wss://%s/  drops WebSocket upgrade headers, like nginx without the Upgrade lines", d.w.strip.Addr())
	p("  buffering proxy  wss://%s/  holds every response back until 32 KiB or its end", d.w.buffering.Addr())
	p("  forward proxy    %s  an HTTP proxy that tunnels with CONNECT", d.w.forward.URL())
}

func (d *demo) outro() {
	p := func(s string) { fmt.Fprintln(d.out, s) }
	p("")
	p("Try it by hand, in two terminals:")
	p("  go run ./cmd/tether serve --self-signed /tmp/tether-certs")
	p("  echo hi | go run ./cmd/tether connect -v --cacert /tmp/tether-certs/ca.pem --count 1 wss://127.0.0.1:8443/")
	p("Add --transports sse or --transports longpoll to choose the way; tether connect -h lists every flag.")
}

// newLog returns the event log of one step's client: with -v, its events
// on stderr, indented under the step.
func (d *demo) newLog() *eventLog {
	l := newEventLog(d.stderr, d.verbose)
	l.prefix = "     | "
	l.connected = make(chan connectedEvent, 16)
	return l
}

// fmtDur rounds a duration for people: "12 ms", "1.3 s".
func fmtDur(d time.Duration) string {
	if d < time.Second {
		ms := d.Round(time.Millisecond).Milliseconds()
		if ms == 0 && d > 0 {
			return "<1 ms"
		}
		return fmt.Sprintf("%d ms", ms)
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
