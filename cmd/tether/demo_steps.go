package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/transport"
)

type connectedEvent = client.ConnectedEvent

func demoSteps() []demoStep {
	return []demoStep{
		{"Straight to the server.", stepDirect},
		{"Through a reverse proxy that strips WebSocket upgrades.", stepStripped},
		{"Through a reverse proxy that buffers responses.", stepBuffered},
		{"Through an HTTP forward proxy (CONNECT), as in many corporate networks.", stepForward},
		{"The server restarts while messages flow.", stepRestart},
		{"A wrong certificate pin.", stepPin},
	}
}

func stepDirect(ctx context.Context, d *demo) ([]string, error) {
	log := d.newLog()
	ev, rtt, err := d.dialEcho(ctx, d.w.serverURL(), d.w.options(log), log, "websocket")
	if err != nil {
		return nil, err
	}
	return []string{fmt.Sprintf("connected over WebSocket in %s, a message went there and back in %s",
		fmtDur(ev.Elapsed), fmtDur(rtt))}, nil
}

func stepStripped(ctx context.Context, d *demo) ([]string, error) {
	log := d.newLog()
	ev, rtt, err := d.dialEcho(ctx, "wss://"+d.w.strip.Addr()+"/", d.w.options(log), log, "sse")
	if err != nil {
		return nil, err
	}
	return []string{
		"WebSocket: the proxy dropped the upgrade headers, the server saw a plain GET and answered 400",
		fmt.Sprintf("SSE gets through: connected in %s, a message went there and back in %s", fmtDur(ev.Elapsed), fmtDur(rtt)),
		"why (the client's ConnectedEvent): " + clean(ev.Reason),
	}, nil
}

func stepBuffered(ctx context.Context, d *demo) ([]string, error) {
	log := d.newLog()
	o := d.w.options(log)
	ev, rtt, err := d.dialEcho(ctx, "wss://"+d.w.buffering.Addr()+"/", o, log, "longpoll")
	if err != nil {
		return nil, err
	}
	return []string{
		fmt.Sprintf("WebSocket: refused (400); SSE: the proxy held its first event back, the client gave up on it after %s",
			fmtDur(o.FirstEventWait)),
		fmt.Sprintf("long-polling gets through: connected in %s, a message went there and back in %s", fmtDur(ev.Elapsed), fmtDur(rtt)),
		"why (the client's ConnectedEvent): " + clean(ev.Reason),
	}, nil
}

func stepForward(ctx context.Context, d *demo) ([]string, error) {
	log := d.newLog()
	o := d.w.options(log)
	proxy, err := transport.FixedProxy(d.w.forward.URL())
	if err != nil {
		return nil, err
	}
	o.Dial.Proxy = proxy
	before := d.w.forward.Tunnels()
	ev, rtt, err := d.dialEcho(ctx, d.w.serverURL(), o, log, "websocket")
	if err != nil {
		return nil, err
	}
	n := d.w.forward.Tunnels() - before
	if n < 1 {
		return nil, errors.New("the client did not go through the proxy")
	}
	target, _ := d.w.forward.LastConnect()
	return []string{
		fmt.Sprintf("the proxy opened %d tunnel (CONNECT %s) and relays TLS it cannot read", n, target),
		fmt.Sprintf("connected over WebSocket in %s, a message went there and back in %s", fmtDur(ev.Elapsed), fmtDur(rtt)),
	}, nil
}

// dialEcho connects, checks the transport, sends one message and waits for
// its echo. It returns the ConnectedEvent and the round trip.
func (d *demo) dialEcho(ctx context.Context, url string, o *client.Options, log *eventLog, want string) (connectedEvent, time.Duration, error) {
	c, err := client.Dial(ctx, url, o)
	if err != nil {
		return connectedEvent{}, 0, err
	}
	defer closeClient(c) // its last event (ClosedEvent) comes before the step's result
	var ev connectedEvent
	select {
	case ev = <-log.connected:
	case <-ctx.Done():
		return ev, 0, ctx.Err()
	}
	if ev.Transport != want {
		return ev, 0, fmt.Errorf("connected over %s, expected %s (%s)", ev.Transport, want, ev.Reason)
	}
	t0 := time.Now()
	if err := c.Send(ctx, client.Text("hello")); err != nil {
		return ev, 0, err
	}
	m, err := c.Receive(ctx)
	if err != nil {
		return ev, 0, err
	}
	if string(m.Data) != "hello" {
		return ev, 0, fmt.Errorf("the echo was %q, expected hello", m.Data)
	}
	return ev, time.Since(t0), nil
}

// Restart step parameters: 200 messages 10 ms apart; after 60 the server
// goes down for a second.
const (
	restartMessages = 200
	restartEvery    = 10 * time.Millisecond
	restartAfter    = 60
	restartDown     = time.Second
)

func stepRestart(ctx context.Context, d *demo) ([]string, error) {
	log := d.newLog()
	c, err := client.Dial(ctx, d.w.serverURL(), d.w.options(log))
	if err != nil {
		return nil, err
	}
	defer closeClient(c)
	select {
	case <-log.connected:
	case <-ctx.Done():
		return nil, ctx.Err()
	}

	// The receiver checks that the echoes come back once each, in order.
	var tally struct {
		sync.Mutex
		received, duplicates, outOfOrder int
	}
	allIn := make(chan struct{})
	go func() {
		seen := make(map[int]bool, restartMessages)
		last := 0
		for unique := 0; unique < restartMessages; {
			m, err := c.Receive(ctx)
			if err != nil {
				return
			}
			v, _ := strconv.Atoi(string(m.Data))
			tally.Lock()
			tally.received++
			switch {
			case seen[v]:
				tally.duplicates++
			case v != last+1:
				tally.outOfOrder++
			}
			tally.Unlock()
			if !seen[v] {
				seen[v] = true
				unique++
			}
			last = max(last, v)
		}
		close(allIn)
	}()

	var cut, back time.Time
	restarted := make(chan error, 1)
	tick := time.NewTicker(restartEvery)
	defer tick.Stop()
	for i := 1; i <= restartMessages; i++ {
		if err := c.Send(ctx, client.Text(strconv.Itoa(i))); err != nil {
			return nil, err
		}
		if i == restartAfter {
			cut = time.Now()
			d.w.srv.stop()
			go func() {
				time.Sleep(restartDown)
				back = time.Now()
				restarted <- d.w.srv.start()
			}()
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err := <-restarted; err != nil {
		return nil, err
	}
	var resumed connectedEvent
	var resumedAt time.Time
	for resumedAt.IsZero() {
		select {
		case ev := <-log.connected:
			if ev.Resumed {
				resumed, resumedAt = ev, time.Now()
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("the client did not reconnect: %w", ctx.Err())
		}
	}
	if err := c.Flush(ctx); err != nil {
		return nil, fmt.Errorf("waiting for the server's acknowledgements: %w", err)
	}
	select {
	case <-allIn:
	case <-ctx.Done():
	}
	tally.Lock()
	defer tally.Unlock()
	lines := []string{
		fmt.Sprintf("%d messages sent %s apart over WebSocket; after message %d the server stopped, cutting every connection,",
			restartMessages, fmtDur(restartEvery), restartAfter),
		fmt.Sprintf("and came back %s later on the same address; the client was back %s after the cut (over %s), session resumed",
			fmtDur(back.Sub(cut)), fmtDur(resumedAt.Sub(cut)), resumed.Transport),
		fmt.Sprintf("sent %d, received %d, duplicates %d, out of order %d",
			restartMessages, tally.received, tally.duplicates, tally.outOfOrder),
	}
	if tally.received != restartMessages || tally.duplicates != 0 || tally.outOfOrder != 0 {
		return lines, fmt.Errorf("messages were lost, repeated or reordered across the restart")
	}
	return lines, nil
}

func stepPin(ctx context.Context, d *demo) ([]string, error) {
	var random [32]byte
	rand.Read(random[:])
	wrong := "sha256/" + base64.StdEncoding.EncodeToString(random[:])
	log := d.newLog()
	o := d.w.options(log)
	o.Dial.Pins = []transport.Pin{{Hash: wrong}}
	t0 := time.Now()
	c, err := client.Dial(ctx, d.w.serverURL(), o)
	took := time.Since(t0)
	if err == nil {
		closeClient(c)
		return nil, errors.New("the client accepted a server whose key does not match the pin")
	}
	var pe *transport.PinError
	if !errors.As(err, &pe) || len(pe.Presented) == 0 {
		return nil, fmt.Errorf("expected a pin mismatch, got: %w", err)
	}
	lines := []string{
		fmt.Sprintf("refused in %s, before any message was sent, and not retried:", fmtDur(took)),
		fmt.Sprintf("the server's key is %s, the pin wanted %s", pe.Presented[0], wrong),
	}

	// The server's real pin, as tether pin prints it.
	right := transport.SPKIPin(d.w.leaf)
	log = d.newLog()
	o = d.w.options(log)
	o.Dial.Pins = []transport.Pin{{Hash: right}}
	ev, _, err := d.dialEcho(ctx, d.w.serverURL(), o, log, "websocket")
	if err != nil {
		return lines, fmt.Errorf("with the right pin: %w", err)
	}
	lines = append(lines, fmt.Sprintf("with the right pin it connects over WebSocket in %s", fmtDur(ev.Elapsed)))
	return lines, nil
}
