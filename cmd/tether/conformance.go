package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/conformance"
	"github.com/tether-sdk/tether/internal/wsdial"
	"github.com/tether-sdk/tether/transport"
)

const conformanceSynopsis = `
Usage: tether conformance [flags] URL

Checks the Tether server at URL (wss:// or https://; ws:// and http:// only for
loopback hosts) against the server-side rules of PROTOCOL.md, over every
transport its welcome offers: handshake and welcome fields, seq/ack, resume and
replay, superseding, the probe, heartbeats, error answers and their statuses,
the close handshake and the limits it announces. It talks to the server with
raw WebSockets and HTTP requests, not through Tether's client.

It prints one line per check: PASS, FAIL or SKIP, the check's id, its level
(MUST or SHOULD), the PROTOCOL.md section and what it checks; a failure adds a
line saying what the server did, a skip says why it did not run (a transport
not offered, a wait over --max-wait, --no-echo).

The data checks need an endpoint that echoes every message back to its sender
(tether serve does, in its default mode); --no-echo skips them. The timed
checks wait for what the welcome announces (a ping within hb ms, :hb on SSE, a
poll held poll ms, a session gone after ttl ms); those that would wait longer
than --max-wait are skipped.

Exit codes: 0 every MUST check passed (SHOULD failures are reported only);
1 a MUST check failed, or the server could not be reached; 2 bad usage.

Examples:
  tether conformance --cacert certs/ca.pem wss://127.0.0.1:8443/
  tether conformance --max-wait 0 --only ws,http https://rt.example.com/live
`

type conformanceFlags struct {
	dial     dialFlags
	noEcho   bool
	maxWait  time.Duration
	patience time.Duration
	only     string
	list     bool
}

func runConformance(ctx context.Context, e *env, args []string) int {
	var f conformanceFlags
	fs := newFlagSet("conformance", conformanceSynopsis)
	f.dial.register(fs, false)
	fs.BoolVar(&f.noEcho, "no-echo", false, "the endpoint does not echo messages: skip the checks that need it")
	fs.DurationVar(&f.maxWait, "max-wait", 30*time.Second, "skip timed checks that would wait longer than this `DURATION` for the server (0: skip them all)")
	fs.DurationVar(&f.patience, "patience", 3*time.Second, "how long an answer the server owes at once may take (`DURATION`)")
	fs.StringVar(&f.only, "only", "", "comma-separated `LIST` of check ids or prefixes to run, e.g. ws,http.key (default: all)")
	fs.BoolVar(&f.list, "list", false, "print the checks (id, level, section, what each checks) and exit; no URL needed")
	pos, code, done := fs.parse(e, args)
	if done {
		return code
	}
	if f.list {
		for _, c := range conformance.Checks() {
			fmt.Fprintf(e.stdout, "%-26s %-6s §%-17s %s\n", c.ID, c.Level, c.Section, c.Title)
		}
		return exitOK
	}
	switch {
	case len(pos) == 0:
		return fail(e.stderr, usagef("conformance: give the server's URL (see tether conformance -h)"))
	case len(pos) > 1:
		return fail(e.stderr, usagef("conformance: one URL only, got %d arguments: %s", len(pos), strings.Join(pos, " ")))
	case f.maxWait < 0:
		return fail(e.stderr, usagef("--max-wait %v: give 0 or a positive duration", f.maxWait))
	case f.patience <= 0:
		return fail(e.stderr, usagef("--patience %v: give a positive duration", f.patience))
	}
	cfg, err := f.config(pos[0])
	if err != nil {
		return fail(e.stderr, err)
	}
	known := map[string]bool{}
	for _, c := range conformance.Checks() {
		known[c.ID] = true
		known[strings.SplitN(c.ID, ".", 2)[0]] = true
	}
	known["discover"] = true
	for _, o := range cfg.Only {
		if !known[o] {
			return fail(e.stderr, usagef("--only %q: no check has that id or prefix (tether conformance -h)", o))
		}
	}
	results, err := conformance.Run(ctx, cfg)
	if err != nil {
		return fail(e.stderr, usagef("conformance: %v", err))
	}
	printReport(e.stdout, results)
	if ctx.Err() != nil {
		return fail(e.stderr, errInterrupted)
	}
	if n := conformance.MustFailures(results); n > 0 {
		fmt.Fprintf(e.stderr, "tether: %d MUST check(s) failed: the server does not conform to PROTOCOL.md\n", n)
		return exitFailure
	}
	return exitOK
}

// config builds the conformance configuration: the same dialing layer
// (proxy, --cacert, URL rules) as tether connect.
func (f *conformanceFlags) config(url string) (*conformance.Config, error) {
	tc, err := f.dial.config()
	if err != nil {
		return nil, err
	}
	d, err := transport.New(url, tc)
	if err != nil {
		return nil, err
	}
	cfg := &conformance.Config{
		URL:        d.Target().HTTP.String(),
		HTTPClient: d.HTTPClient(),
		DialWebSocket: func(ctx context.Context, h http.Header, sub []string) (*websocket.Conn, *http.Response, error) {
			c, resp, err := wsdial.Dial(ctx, d, h, sub)
			var he *transport.HandshakeError
			if err != nil && resp != nil && errors.As(err, &he) {
				resp.Body = io.NopCloser(bytes.NewReader(he.Body)) // the dialer read it into the error
			}
			return c, resp, err
		},
		NoEcho:   f.noEcho,
		MaxWait:  f.maxWait,
		Patience: f.patience,
	}
	if f.maxWait == 0 {
		cfg.MaxWait = -1
	}
	for _, o := range strings.Split(f.only, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.Only = append(cfg.Only, o)
		}
	}
	return cfg, nil
}

// printReport writes one line per check, the failure or skip reason, and
// a summary line.
func printReport(w io.Writer, results []conformance.Result) {
	var pass, failed, mustFailed, skipped int
	for _, r := range results {
		c := r.Check
		line := fmt.Sprintf("%-4s  %-26s %-6s §%-17s %s", r.Status, c.ID, c.Level, c.Section, c.Title)
		switch r.Status {
		case conformance.Pass:
			pass++
		case conformance.Fail:
			failed++
			if c.Level == conformance.Must {
				mustFailed++
			}
		case conformance.Skip:
			skipped++
		}
		fmt.Fprintln(w, line)
		if r.Detail != "" {
			what := "got:"
			if r.Status == conformance.Skip {
				what = "skipped:"
			}
			fmt.Fprintf(w, "      %s %s\n", what, r.Detail)
		}
	}
	fmt.Fprintf(w, "%d checks: %d passed, %d failed (%d MUST), %d skipped\n", len(results), pass, failed, mustFailed, skipped)
}
