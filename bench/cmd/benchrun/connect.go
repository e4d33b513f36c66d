package main

import (
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"log"
	"strings"
	"sync"
	"time"

	"github.com/tether-sdk/tether/bench/internal/rig"
	"github.com/tether-sdk/tether/bench/internal/srv"
	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/transport"
)

// ConnectResult is the time to connected of one set-up over several runs
// (Socket.IO's client.js prints the same shape).
type ConnectResult struct {
	Lib         string
	Runs        int
	ConnectedMs []float64 // Dial until it returned
	FirstEcho   []float64 // ms from Dial to the first echo
	BestMs      []float64 // ms from Dial until on the best transport; -1: not within -bestwait
	CloseMs     []float64 // how long Close took (Tether only; closed in the background while the next runs go on)
	ConnectedOn string    // transport Dial returned on (last run)
	Transport   string    // transport at the end of the last run
	Reason      string    // of the last run: the ConnectedEvent's and every TransportChangedEvent's
}

// PairResult is two set-ups measured in one process, connect by connect
// alternately (A then B, B then A in the next pair, and so on): index i of
// A's and B's slices is pair i, so a slow spell of the machine hits both
// sides of a pair and their ratio keeps what the set-ups cost.
type PairResult struct{ A, B ConnectResult }

// connCase is one set-up of a connect run.
type connCase struct{ url, proxy, transports, best string }

// runConnect dials -runs new clients (new TCP and TLS connections each)
// with default options but the CA (and -proxy, -transports), and measures
// each: time to connected, to the first 1 KiB echo, and until the session
// is on -best (or -bestwait passed). With -burl it measures -runs pairs
// instead, alternating the set-up of -url, -proxy, -transports, -best with
// that of -burl, -bproxy, -btransports, -bbest, and prints a PairResult.
func runConnect(args []string) {
	fs := flag.NewFlagSet("connect", flag.ExitOnError)
	base, certs := commonFlags(fs)
	var a, b connCase
	fs.StringVar(&a.url, "url", "", "Tether URL (default: -base + the echo path)")
	fs.StringVar(&a.proxy, "proxy", "", "forward proxy URL (http://HOST:PORT); none by default")
	fs.StringVar(&a.transports, "transports", "", "comma-separated Options.Transports (default: all)")
	fs.StringVar(&a.best, "best", "", "the best transport this set-up allows (websocket, sse, longpoll)")
	fs.StringVar(&b.url, "burl", "", "with it: pairs, this Tether URL the second set-up's (its -bproxy, -btransports, -bbest as above)")
	fs.StringVar(&b.proxy, "bproxy", "", "the second set-up's -proxy")
	fs.StringVar(&b.transports, "btransports", "", "the second set-up's -transports")
	fs.StringVar(&b.best, "bbest", "", "the second set-up's -best")
	runs := fs.Int("runs", 20, "runs (pairs with -burl)")
	bestWait := fs.Duration("bestwait", 3*time.Second, "how long to wait for -best, from Dial")
	fs.Parse(args)
	pool, err := rig.Pool(*certs)
	if err != nil {
		log.Fatal(err)
	}
	if a.url == "" {
		a.url = *base + srv.TetherEcho
	}
	m := &connMeter{pool: pool, payload: rig.Payload(rig.MsgSize), bestWait: *bestWait}
	if b.url == "" {
		r := ConnectResult{Lib: rig.LibTether, Runs: *runs}
		for i := 0; i < *runs; i++ {
			m.once(a, &r)
		}
		m.closing.Wait()
		rig.WriteJSON(r)
		return
	}
	p := PairResult{A: ConnectResult{Lib: rig.LibTether, Runs: *runs}, B: ConnectResult{Lib: rig.LibTether, Runs: *runs}}
	for i := 0; i < *runs; i++ {
		if i%2 == 0 {
			m.once(a, &p.A)
			m.once(b, &p.B)
		} else {
			m.once(b, &p.B)
			m.once(a, &p.A)
		}
	}
	m.closing.Wait()
	rig.WriteJSON(p)
}

// connMeter measures connects; each run's client is closed in the
// background, so that a slow Close (a hung upgrade attempt) does not hold
// up the next runs; its time is recorded.
type connMeter struct {
	pool     *x509.CertPool
	payload  []byte
	bestWait time.Duration
	closing  sync.WaitGroup
	mu       sync.Mutex // the results' CloseMs
}

// once dials one new client of set-up cc and appends its figures to r.
func (m *connMeter) once(cc connCase, r *ConnectResult) {
	o := rig.TetherOptions(m.pool)
	o.ProbeInterval = 0 // the default: move to WebSocket when it proves itself
	if cc.transports != "" {
		o.Transports = strings.Split(cc.transports, ",")
	}
	o.Dial.Proxy = transport.NoProxy
	if cc.proxy != "" {
		var err error
		if o.Dial.Proxy, err = transport.FixedProxy(cc.proxy); err != nil {
			log.Fatal(err)
		}
	}
	ev := newConnEvents(cc.best)
	o.OnEvent = ev.add
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t0 := time.Now()
	ev.t0 = t0
	c, err := client.Dial(ctx, cc.url, o)
	if err != nil {
		log.Fatalf("dial %s: %v", cc.url, err)
	}
	connected := time.Since(t0)
	r.ConnectedOn = c.Transport()
	if err := c.Send(ctx, client.Message{Binary: true, Data: m.payload}); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Receive(ctx); err != nil {
		log.Fatal(err)
	}
	echoed := time.Since(t0)
	bestMs := -1.0
	if cc.best != "" {
		if c.Transport() == cc.best {
			bestMs = float64(echoed) / 1e6 // no later than this; the event says when
		}
		if at, ok := ev.waitBest(t0.Add(m.bestWait)); ok {
			bestMs = float64(at) / 1e6
		}
	}
	r.ConnectedMs = append(r.ConnectedMs, float64(connected)/1e6)
	r.FirstEcho = append(r.FirstEcho, float64(echoed)/1e6)
	r.BestMs = append(r.BestMs, bestMs)
	r.Transport = c.Transport()
	m.closing.Add(1)
	go func() {
		defer m.closing.Done()
		tc := time.Now()
		c.Close(context.Background())
		m.mu.Lock()
		r.CloseMs = append(r.CloseMs, float64(time.Since(tc))/1e6)
		m.mu.Unlock()
	}()
	r.Reason = ev.reason()
}

// connEvents records what the client said during one run and when it got
// onto the best transport.
type connEvents struct {
	best string
	t0   time.Time

	mu     sync.Mutex
	lines  []string
	bestAt time.Duration
	onBest bool
	wake   chan struct{}
}

func newConnEvents(best string) *connEvents {
	return &connEvents{best: best, wake: make(chan struct{})}
}

func (e *connEvents) add(ev client.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	at := time.Since(e.t0)
	var to string
	switch v := ev.(type) {
	case client.ConnectedEvent:
		to = v.Transport
		e.lines = append(e.lines, fmt.Sprintf("%s: %s", v.Transport, v.Reason))
	case client.TransportChangedEvent:
		to = v.To
		e.lines = append(e.lines, fmt.Sprintf("at %d ms %s -> %s: %s", at.Milliseconds(), v.From, v.To, v.Reason))
	default:
		return
	}
	if to == e.best && !e.onBest {
		e.onBest, e.bestAt = true, at
		close(e.wake)
	}
}

// waitBest waits until the session was on the best transport or deadline.
func (e *connEvents) waitBest(deadline time.Time) (time.Duration, bool) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-e.wake:
	case <-t.C:
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.bestAt, e.onBest
}

func (e *connEvents) reason() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.lines, "; ")
}
