package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/wire"
)

// Level is how strongly PROTOCOL.md requires what a check checks.
type Level int

// Levels.
const (
	Must   Level = iota // MUST: a failure makes the server non-conforming
	Should              // SHOULD: a failure is reported, but the server still conforms
)

func (l Level) String() string {
	if l == Should {
		return "SHOULD"
	}
	return "MUST"
}

// Transport requirements of a check.
const (
	needWS       = wire.TransportWebSocket // the WebSocket transport
	needSSE      = wire.TransportSSE       // SSE
	needPoll     = wire.TransportPoll      // long-polling
	needFallback = "fallback"              // SSE or long-polling (send requests)
	needProbe    = "probe"                 // WebSocket and long-polling
)

// Check is one conformance check.
type Check struct {
	ID      string // e.g. "ws.resume"
	Section string // the PROTOCOL.md section(s) it checks, e.g. "4.5, 7.2"
	Level   Level
	Title   string // what the server must do, in a line
	need    string
	echo    bool                     // needs an echoing endpoint
	wait    func(*env) time.Duration // how long the check waits for a timed behaviour, if it does
	run     func(ctx context.Context, e *env) error
}

// Status is the outcome of a check.
type Status int

// Outcomes.
const (
	Pass Status = iota
	Fail
	Skip
)

func (s Status) String() string {
	switch s {
	case Pass:
		return "PASS"
	case Fail:
		return "FAIL"
	}
	return "SKIP"
}

// Result is the outcome of one check.
type Result struct {
	Check   *Check
	Status  Status
	Detail  string // on Fail: what the server did; on Skip: why the check did not run
	Elapsed time.Duration
}

// Config says which server to check and how. A nil *Config is not allowed:
// URL is required; every other field documents its zero value.
type Config struct {
	// URL is the server's endpoint: http://, https://, ws:// or wss://. The
	// WebSocket and HTTP requests go to the same URL with the scheme changed;
	// its query parameters are kept.
	URL string

	// HTTPClient makes the HTTP requests (SSE, long-polling, sends). It must
	// not follow redirects and must have no overall timeout (every request is
	// bounded by a context). Nil: a client like http.DefaultClient that does
	// not follow redirects.
	HTTPClient *http.Client

	// DialWebSocket opens a WebSocket to the URL with header and offering
	// subprotocols. When the server refuses the upgrade it returns the
	// response with its body still readable. Nil: gorilla's default dialer.
	DialWebSocket func(ctx context.Context, header http.Header, subprotocols []string) (*websocket.Conn, *http.Response, error)

	// NoEcho skips the checks that need an endpoint echoing every message
	// back to its sender. Zero: the endpoint echoes (tether serve does).
	NoEcho bool

	// MaxWait bounds the timed behaviours a check waits for (heartbeats
	// every hb ms, a poll held for poll ms, a session expiring after ttl
	// ms): a check that would wait longer is skipped. Zero: 30 s. Negative:
	// every such check is skipped.
	MaxWait time.Duration

	// Patience is how long an answer the server owes at once (a welcome, an
	// ack, a pong, an error) may take to arrive. Zero: 3 s.
	Patience time.Duration

	// Only, when set, runs only the checks whose id equals one of its
	// entries or starts with one followed by a dot ("ws" runs every ws.*
	// check). Nil: every check.
	Only []string
}

// Errors of Run.
var (
	// ErrConfig: the Config cannot be used (no URL, a bad scheme).
	ErrConfig = errors.New("conformance: bad configuration")
)

// Checks returns every check, in the order Run runs them.
func Checks() []*Check {
	var all []*Check
	for _, group := range [][]*Check{handshakeChecks(), seqChecks(), resumeChecks(), supersedeChecks(), probeChecks(), heartbeatChecks(), errorChecks(), closeChecks(), limitChecks()} {
		all = append(all, group...)
	}
	return all
}

// Run runs the checks against the server and returns their results, in
// the order of Checks. The timed checks (those waiting for hb, poll or ttl)
// run concurrently with the others; every check uses sessions of its own. It returns an error only when cfg cannot be used; a server that
// cannot be reached fails the first check and the rest are skipped.
func Run(ctx context.Context, cfg *Config) ([]Result, error) {
	e, err := newEnv(cfg)
	if err != nil {
		return nil, err
	}
	checks := Checks()
	var results []Result
	disc := discoverCheck()
	if e.selected(disc) {
		r := e.runOne(ctx, disc)
		results = append(results, r)
	} else {
		e.runOne(ctx, disc) // discovery runs anyway; only its line is left out
	}
	// The timed checks spend most of their time waiting for the server
	// (hb, poll, ttl): they run alongside the others, each with its own
	// session; results keep the order of Checks.
	var sel []*Check
	for _, c := range checks {
		if e.selected(c) {
			sel = append(sel, c)
		}
	}
	out := make([]Result, len(sel))
	var wg sync.WaitGroup
	for i, c := range sel {
		if c.wait != nil && e.welcome != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = e.runOne(ctx, c)
			}()
		}
	}
	for i, c := range sel {
		switch {
		case c.wait != nil && e.welcome != nil:
		case e.welcome == nil:
			out[i] = Result{Check: c, Status: Skip, Detail: "no transport answered a welcome (see " + disc.ID + ")"}
		case ctx.Err() != nil:
			out[i] = Result{Check: c, Status: Skip, Detail: "interrupted"}
		default:
			out[i] = e.runOne(ctx, c)
		}
	}
	wg.Wait()
	results = append(results, out...)
	return results, nil
}

// MustFailures counts the failed MUST checks of results.
func MustFailures(results []Result) int {
	n := 0
	for _, r := range results {
		if r.Status == Fail && r.Check.Level == Must {
			n++
		}
	}
	return n
}

// env is what checks share: the configuration, the target URLs, and what
// the discovery welcome announced.
type env struct {
	cfg      Config
	base     *url.URL // http(s) form of the URL
	welcome  *wire.Welcome
	patience time.Duration
	maxWait  time.Duration
}

func newEnv(cfg *Config) (*env, error) {
	if cfg == nil || cfg.URL == "" {
		return nil, fmt.Errorf("%w: give the server's URL", ErrConfig)
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: URL %q does not parse: %w", ErrConfig, cfg.URL, err)
	}
	switch u.Scheme {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	case "http", "https":
	default:
		return nil, fmt.Errorf("%w: URL %q: the scheme must be http, https, ws or wss", ErrConfig, cfg.URL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%w: URL %q has no host", ErrConfig, cfg.URL)
	}
	u.Fragment = ""
	e := &env{cfg: *cfg, base: u, patience: cfg.Patience, maxWait: cfg.MaxWait}
	if e.patience <= 0 {
		e.patience = 3 * time.Second
	}
	if e.maxWait == 0 {
		e.maxWait = 30 * time.Second
	}
	if e.cfg.HTTPClient == nil {
		e.cfg.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if e.cfg.DialWebSocket == nil {
		ws := *u
		ws.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
		target := ws.String()
		e.cfg.DialWebSocket = func(ctx context.Context, h http.Header, sub []string) (*websocket.Conn, *http.Response, error) {
			d := *websocket.DefaultDialer
			d.Subprotocols = sub
			return d.DialContext(ctx, target, h)
		}
	}
	return e, nil
}

func (e *env) selected(c *Check) bool {
	if len(e.cfg.Only) == 0 {
		return true
	}
	for _, o := range e.cfg.Only {
		if c.ID == o || strings.HasPrefix(c.ID, o+".") {
			return true
		}
	}
	return false
}

// offers reports whether the welcome lists transport t.
func (e *env) offers(t string) bool { return slices.Contains(e.welcome.Transports, t) }

// fallback is the transport send-based checks attach with: long-polling if
// offered, else SSE; "" when neither is.
func (e *env) fallback() string {
	switch {
	case e.offers(wire.TransportPoll):
		return wire.TransportPoll
	case e.offers(wire.TransportSSE):
		return wire.TransportSSE
	}
	return ""
}

// skipReason says why c cannot run against this server, or "".
func (e *env) skipReason(c *Check) string {
	if c.echo && e.cfg.NoEcho {
		return "needs an echoing endpoint (--no-echo)"
	}
	offered := "the welcome offers " + strings.Join(e.welcome.Transports, ", ")
	switch c.need {
	case needWS, needSSE, needPoll:
		if !e.offers(c.need) {
			return c.need + " not offered (" + offered + ")"
		}
	case needFallback:
		if e.fallback() == "" {
			return "neither sse nor longpoll offered (" + offered + ")"
		}
	case needProbe:
		if !e.offers(wire.TransportWebSocket) || e.fallback() == "" {
			return "needs websocket and a fallback (" + offered + ")"
		}
	}
	if c.wait != nil {
		w := c.wait(e)
		if e.maxWait < 0 || w > e.maxWait {
			return fmt.Sprintf("would wait %v for the server (over --max-wait %v)", w.Round(time.Millisecond), max(e.maxWait, 0))
		}
	}
	return ""
}

// skipError makes a check end as skipped.
type skipError struct{ reason string }

func (s *skipError) Error() string { return s.reason }

func skipf(format string, args ...any) error { return &skipError{fmt.Sprintf(format, args...)} }

// runOne runs c with a deadline: patience for every step it may take, plus
// its wait.
func (e *env) runOne(ctx context.Context, c *Check) Result {
	if e.welcome != nil {
		if why := e.skipReason(c); why != "" {
			return Result{Check: c, Status: Skip, Detail: why}
		}
	}
	limit := 8 * e.patience
	if c.wait != nil {
		limit += c.wait(e)
	}
	cctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	start := time.Now()
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("the check itself failed (a bug in the conformance suite, please report it): %v", p)
			}
		}()
		return c.run(cctx, e)
	}()
	r := Result{Check: c, Elapsed: time.Since(start)}
	var se *skipError
	switch {
	case err == nil:
		r.Status = Pass
	case errors.As(err, &se):
		r.Status, r.Detail = Skip, se.reason
	case ctx.Err() != nil:
		r.Status, r.Detail = Fail, "interrupted: "+ctx.Err().Error()
	case cctx.Err() != nil && !errors.Is(err, errNoAnswer):
		r.Status, r.Detail = Fail, fmt.Sprintf("%v (the check's deadline of %v passed)", err, limit)
	default:
		r.Status, r.Detail = Fail, err.Error()
	}
	return r
}
