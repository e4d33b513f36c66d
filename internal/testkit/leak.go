// Package testkit holds what the project's tests share: the goroutine-leak
// check every package's TestMain runs (goleak, with the project's settling
// time) and a stack matcher for tests that check one component's goroutines
// mid-run. It is for tests only.
package testkit

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// settleTime is how long a leak check waits for goroutines to end: some of
// net/http's end asynchronously after the connection they serve is closed,
// and the race detector slows everything down.
const settleTime = 5 * time.Second

// Main runs the package's tests and then fails the run if any goroutine
// outlives them (goleak, retried for up to 5 s), printing the leaked stacks.
// Call it from TestMain: func TestMain(m *testing.M) { testkit.Main(m) }.
func Main(m *testing.M, opts ...goleak.Option) {
	code := m.Run()
	if code == 0 {
		if err := VerifyNone(opts...); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left behind after the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// VerifyNone returns goleak's report of the goroutines still running (other
// than the caller's) after settling, or nil.
func VerifyNone(opts ...goleak.Option) error {
	deadline := time.Now().Add(settleTime)
	for {
		err := goleak.Find(opts...) // retries for about a second itself
		if err == nil || time.Now().After(deadline) {
			return err
		}
	}
}

// Settle waits until no goroutine's stack satisfies bad, for up to 5 s. It
// returns the offending stacks and false if some remain.
func Settle(bad func(stack string) bool) (string, bool) {
	deadline := time.Now().Add(settleTime)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		var leaked []string
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for _, g := range strings.Split(string(buf), "\n\n") {
			if bad(g) {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return "", true
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n"), false
		}
		<-tick.C
	}
}
