//go:build integration

package integration

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-sdk/tether/client"
)

// row is one line of RESULTS.md: a scenario, the transport the client
// ended on (or the error it got) and the time to connected (or to the
// error).
type row struct {
	num      int
	test     string
	scenario string

	mu        sync.Mutex
	transport string
	elapsed   time.Duration
	outcome   string // "" when the client connected
	status    string
}

var results struct {
	mu   sync.Mutex
	rows []*row
}

// scenario starts the row of a test: num is the scenario number.
// At the end of the test the row gets its status and is logged.
func scenario(t *testing.T, num int, name string) *row {
	r := &row{num: num, test: t.Name(), scenario: name}
	results.mu.Lock()
	results.rows = append(results.rows, r)
	results.mu.Unlock()
	t.Cleanup(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.status = "pass"
		if t.Failed() {
			r.status = "FAIL"
		}
		if t.Skipped() {
			r.status = "SKIPPED"
		}
		if r.outcome != "" {
			t.Logf("scenario %d (%s): %s after %v", num, name, r.outcome, r.elapsed.Round(time.Millisecond))
		} else {
			t.Logf("scenario %d (%s): ended on %s, connected in %v", num, name, r.transport, r.elapsed.Round(time.Millisecond))
		}
	})
	return r
}

// connected records the time to connected and the transport (updated by
// ended when the test moves on).
func (r *row) connected(transport string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.transport, r.elapsed = transport, d
}

// ended records the transport the client ended on.
func (r *row) ended(transport string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.transport = transport
}

// failedWith records an expected failure (a refused pin, proxy credentials).
func (r *row) failedWith(outcome string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcome, r.elapsed = outcome, d
}

// reasons holds, per test name, how the client explained its transport:
// the ConnectedEvent's reason, then each TransportChangedEvent's.
var reasons sync.Map // test name -> *explanation

type explanation struct {
	mu   sync.Mutex
	text string
}

// explained returns o (a copy; nil: defaults) whose OnEvent also records
// the client's reasons for t's row in RESULTS.md.
func explained(t *testing.T, o *client.Options) *client.Options {
	var c client.Options
	if o != nil {
		c = *o
	}
	ex := &explanation{}
	reasons.Store(t.Name(), ex)
	next := c.OnEvent
	c.OnEvent = func(ev client.Event) {
		ex.mu.Lock()
		switch ev := ev.(type) {
		case client.ConnectedEvent:
			if ex.text == "" {
				ex.text = ev.Transport + ": " + ev.Reason
			}
		case client.TransportChangedEvent:
			ex.text += "; then " + ev.To + ": " + ev.Reason
		}
		ex.mu.Unlock()
		if next != nil {
			next(ev)
		}
	}
	return &c
}

// reasonOf is the recorded explanation of test, "" when none.
func reasonOf(test string) string {
	v, ok := reasons.Load(test)
	if !ok {
		return ""
	}
	ex := v.(*explanation)
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return strings.ReplaceAll(ex.text, "|", "\\|")
}

// writeResults writes the table of a full run.
func writeResults(path string, total time.Duration, passed bool) error {
	results.mu.Lock()
	rows := append([]*row(nil), results.rows...)
	results.mu.Unlock()
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].num != rows[j].num {
			return rows[i].num < rows[j].num
		}
		return rows[i].test < rows[j].test
	})
	var b strings.Builder
	b.WriteString("# Integration results\n\n")
	b.WriteString("Written by `go test -tags integration -race ./integration/...` (`make integration`) after a full run, ")
	b.WriteString("with real nginx, tinyproxy, squid and Node `ws` on loopback, the real client and `server/` as the backend. ")
	b.WriteString("Time to connected is `client.Dial` from call to return (for an expected failure: to the error).\n\n")
	status := "all passed"
	if !passed {
		status = "FAILED"
	}
	fmt.Fprintf(&b, "Run: %s, %s, %s/%s, %d CPUs, %s in %v.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), status, total.Round(time.Second))
	b.WriteString("| # | scenario | ended on | time to connected | result | test | how the client explained it |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		r.mu.Lock()
		tr := r.transport
		if r.outcome != "" {
			tr = r.outcome
		}
		if tr == "" {
			tr = "(none)"
		}
		el := "-"
		if r.elapsed > 0 {
			el = fmtDuration(r.elapsed)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | `%s` | %s |\n", r.num, r.scenario, tr, el, r.status, r.test, reasonOf(r.test))
		r.mu.Unlock()
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func fmtDuration(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}
