//go:build !js

package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/hostile"
	"github.com/tether-sdk/tether/server"
	"github.com/tether-sdk/tether/transport"
)

func TestWebSocketDirect(t *testing.T) {
	r := newRig(t, echo, nil, nil)
	ev := newEvents()
	c := mustDial(t, r.url(), r.opts(ev))
	if c.Transport() != "websocket" || c.State() != StateConnected || c.SessionID() == "" {
		t.Fatalf("transport %q state %v", c.Transport(), c.State())
	}
	roundTrip(t, c, "ws", 200)
	if err := c.Send(context.Background(), Binary([]byte{0, 255})); err != nil {
		t.Fatal(err)
	}
	m, err := c.Receive(context.Background())
	if err != nil || !m.Binary || string(m.Data) != "\x00\xff" {
		t.Fatalf("binary: %+v %v", m, err)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestEachTransportAlone(t *testing.T) {
	for _, tr := range []string{"websocket", "sse", "longpoll"} {
		t.Run(tr, func(t *testing.T) {
			r := newRig(t, echo, nil, nil)
			o := r.opts(newEvents())
			o.Transports = []string{tr}
			c := mustDial(t, r.url(), o)
			if c.Transport() != tr {
				t.Fatalf("on %s", c.Transport())
			}
			roundTrip(t, c, tr, 300)
		})
	}
}

func TestRefusedUpgradeFallsBackToSSE(t *testing.T) {
	r := newRig(t, echo, nil, refuseUpgrades(func() bool { return true }))
	ev := newEvents()
	o := r.opts(ev)
	o.ProbeInterval = -1
	c := mustDial(t, r.url(), o)
	got := ev.waitFor(t, 0, "connected", connectedOn("sse")).(ConnectedEvent)
	if !strings.Contains(got.Reason, "websocket failed (refused 400") || !strings.Contains(got.Reason, "a proxy refused the upgrade") {
		t.Fatalf("reason %q does not say why", got.Reason)
	}
	roundTrip(t, c, "sse", 100)
}

func TestBufferingProxyFallsBackToLongPoll(t *testing.T) {
	r := newRig(t, echo, nil, nil)
	// A corporate proxy that buffers responses and strips upgrades.
	bp, err := hostile.NewBuffering("https://"+r.addr, hostile.BufferingOptions{BackendTLS: r.tlsTo()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bp.Close() })
	ev := newEvents()
	o := r.opts(ev)
	o.FirstEventWait = 300 * time.Millisecond
	o.ProbeInterval = -1
	o.Dial.InsecureAllowPlaintext = true // the proxy listens on plain HTTP
	c := mustDial(t, "ws://"+strings.TrimPrefix(bp.URL(), "http://")+"/live", o)
	got := ev.waitFor(t, 0, "connected", connectedOn("longpoll")).(ConnectedEvent)
	// SSE fails at its window or is still held back when long-polling,
	// raced RaceDelay after it, answers.
	sse := strings.Contains(got.Reason, "sse failed") || strings.Contains(got.Reason, "sse: first event held back")
	if !sse || !strings.Contains(got.Reason, "websocket failed") {
		t.Fatalf("reason %q", got.Reason)
	}
	roundTrip(t, c, "lp", 100)
}

func TestBlackHoledUpgradeStartsNextInParallel(t *testing.T) {
	r := newRig(t, echo, nil, swallowUpgrades)
	ev := newEvents()
	o := r.opts(ev)
	o.SlowTimeout = 300 * time.Millisecond
	o.ProbeInterval = -1
	c := mustDial(t, r.url(), o)
	if c.Transport() != "sse" {
		t.Fatalf("on %s, want sse", c.Transport())
	}
	roundTrip(t, c, "bh", 50)
}

func TestProbeBackToWebSocket(t *testing.T) {
	var refuse atomic.Bool
	refuse.Store(true)
	received := make(chan string, 1000)
	r := newRig(t, func(s *server.Session) {
		for {
			m, err := s.Receive(s.Context())
			if err != nil {
				return
			}
			received <- string(m.Data)
			s.Send(s.Context(), server.Text("ack:"+string(m.Data)))
		}
	}, nil, refuseUpgrades(refuse.Load))
	ev := newEvents()
	o := r.opts(ev)
	o.ProbeInterval = 100 * time.Millisecond
	c := mustDial(t, r.url(), o)
	if c.Transport() != "sse" {
		t.Fatalf("on %s", c.Transport())
	}
	// Keep sending while the network heals; the switch loses nothing.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const n = 400
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < n; i++ {
			if i == n/4 {
				refuse.Store(false)
			}
			if c.Send(ctx, Text("m"+itoa(i))) != nil {
				return
			}
			if i%50 == 0 {
				time.Sleep(20 * time.Millisecond) // spread the sends over the switch
			}
		}
	}()
	for i := 0; i < n; i++ {
		m, err := c.Receive(ctx)
		if err != nil {
			t.Fatalf("receive %d: %v", i, err)
		}
		if want := "ack:m" + itoa(i); string(m.Data) != want {
			t.Fatalf("got %q, want %q", m.Data, want)
		}
	}
	<-done
	for i := 0; i < n; i++ {
		if got := <-received; got != "m"+itoa(i) {
			t.Fatalf("server got %q at %d", got, i)
		}
	}
	ch := ev.waitFor(t, 0, "transport changed", func(e Event) bool { _, ok := e.(TransportChangedEvent); return ok }).(TransportChangedEvent)
	if ch.From != "sse" || ch.To != "websocket" {
		t.Fatalf("changed %+v", ch)
	}
	if c.Transport() != "websocket" {
		t.Fatalf("on %s after the probe", c.Transport())
	}
}

func TestServerRestartResumes(t *testing.T) {
	for _, tr := range []string{"websocket", "sse", "longpoll"} {
		t.Run(tr, func(t *testing.T) {
			r := newRig(t, echo, nil, nil)
			ev := newEvents()
			o := r.opts(ev)
			o.Transports = []string{tr}
			c := mustDial(t, r.url(), o)
			roundTrip(t, c, "a", 50)
			n := ev.len()
			r.stop()
			ev.waitFor(t, n, "disconnected", func(e Event) bool { _, ok := e.(DisconnectedEvent); return ok })
			// Sends while the server is down are queued.
			for i := 0; i < 20; i++ {
				if err := c.Send(context.Background(), Text("q"+itoa(i))); err != nil {
					t.Fatal(err)
				}
			}
			r.start()
			got := ev.waitFor(t, n, "connected", connectedOn(tr)).(ConnectedEvent)
			if !got.Resumed {
				t.Fatalf("reconnected without resuming: %+v", got)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for i := 0; i < 20; i++ {
				m, err := c.Receive(ctx)
				if err != nil || string(m.Data) != "q"+itoa(i) {
					t.Fatalf("queued message %d: %q %v", i, m.Data, err)
				}
			}
			roundTrip(t, c, "b", 50)
		})
	}
}

func TestServerStateLostIsReported(t *testing.T) {
	r := newRig(t, func(s *server.Session) { <-s.Context().Done() }, nil, nil) // never reads: nothing acked beyond the buffer
	ev := newEvents()
	c := mustDial(t, r.url(), r.opts(ev))
	n := ev.len()
	r.stop()
	ev.waitFor(t, n, "disconnected", func(e Event) bool { _, ok := e.(DisconnectedEvent); return ok })
	c.Send(context.Background(), Text("sent while away"))
	// A new server process: the sessions are gone.
	r.setHandler(server.NewHandler(echo, nil), nil)
	r.start()
	lost := ev.waitFor(t, n, "session lost", func(e Event) bool { _, ok := e.(SessionLostEvent); return ok }).(SessionLostEvent)
	if len(lost.Unacknowledged) != 1 || string(lost.Unacknowledged[0].Data) != "sent while away" {
		t.Fatalf("lost %+v", lost.Unacknowledged)
	}
	if !errors.Is(lost.Cause, ErrSessionLost) {
		t.Fatalf("SessionLostEvent.Cause %v does not match ErrSessionLost", lost.Cause)
	}
	ev.waitFor(t, n, "connected", connectedOn("websocket"))
	// Receive says it too, once, then goes on with the new session.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.Receive(ctx)
	var sl *SessionLostError
	if !errors.Is(err, ErrSessionLost) || !errors.As(err, &sl) || sl.Unacknowledged != 1 {
		t.Fatalf("Receive after the loss: %v", err)
	}
	roundTrip(t, c, "new", 10)
}

func TestPinMismatchStopsAtOnce(t *testing.T) {
	r := newRig(t, echo, nil, nil)
	other, _ := r.ca.Issue("other")
	o := r.opts(newEvents())
	o.Dial.Pins = []transport.Pin{{Hash: transport.SPKIPin(other.Cert)}}
	_, err := Dial(context.Background(), r.url(), o)
	var pe *transport.PinError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a pin error", err)
	}
	var ce *ConnectError
	if errors.As(err, &ce) {
		t.Fatalf("a pin mismatch must not try other transports: %v", err)
	}
}

func TestUnauthorizedStops(t *testing.T) {
	r := newRig(t, echo, &server.Options{Authenticate: func(r *http.Request) (any, error) {
		return nil, errors.New("no token")
	}}, nil)
	_, err := Dial(context.Background(), r.url(), r.opts(newEvents()))
	if transport.Classify(err) != transport.ClassUnauthorized {
		t.Fatalf("got %v (class %v), want unauthorized", err, transport.Classify(err))
	}
}

func TestEveryTransportFailedListsAttempts(t *testing.T) {
	r := newRig(t, echo, &server.Options{Transports: []string{"websocket"}}, refuseUpgrades(func() bool { return true }))
	_, err := Dial(context.Background(), r.url(), r.opts(newEvents()))
	var ce *ConnectError
	if !errors.As(err, &ce) || len(ce.Attempts) != 3 {
		t.Fatalf("got %v, want a ConnectError with 3 attempts", err)
	}
	for i, tr := range []string{"websocket", "sse", "longpoll"} {
		if ce.Attempts[i].Transport != tr {
			t.Fatalf("attempt %d is %s", i, ce.Attempts[i].Transport)
		}
	}
}

func TestRawModeAgainstPlainWebSocket(t *testing.T) {
	up := websocket.Upgrader{}
	r := newRig(t, echo, nil, func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer c.Close()
			for {
				mt, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				c.WriteMessage(mt, msg)
			}
		})
	})
	// Session mode against a plain server: a clear, permanent error.
	_, err := Dial(context.Background(), r.url(), r.opts(newEvents()))
	var pe *ProtocolError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "Raw") {
		t.Fatalf("session mode against a plain server: %v", err)
	}
	ev := newEvents()
	o := r.opts(ev)
	o.Raw = true
	c := mustDial(t, r.url(), o)
	roundTrip(t, c, "raw", 100)
	// Reconnect after the server restarts.
	n := ev.len()
	r.stop()
	r.start()
	ev.waitFor(t, n, "connected", connectedOn("websocket"))
	roundTrip(t, c, "again", 10)
}

func TestCloseEndsEverything(t *testing.T) {
	closed := make(chan error, 1)
	r := newRig(t, func(s *server.Session) {
		_, err := s.Receive(s.Context())
		closed <- err
	}, nil, nil)
	ev := newEvents()
	c := mustDial(t, r.url(), r.opts(ev))
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var ce *server.CloseError
	if err := <-closed; !errors.As(err, &ce) || !ce.ByClient {
		t.Fatalf("server saw %v", err)
	}
	if _, err := c.Receive(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Receive after Close: %v", err)
	}
	if err := c.Send(context.Background(), Text("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
	ev.waitFor(t, 0, "closed", func(e Event) bool { _, ok := e.(ClosedEvent); return ok })
}

func TestRefreshCredentialsRetries(t *testing.T) {
	r := newRig(t, echo, &server.Options{Authenticate: func(r *http.Request) (any, error) {
		if r.Header.Get("Authorization") != "Bearer fresh" {
			return nil, errors.New("stale token")
		}
		return "user", nil
	}}, nil)
	var token atomic.Value
	token.Store("stale")
	refreshed := 0
	o := r.opts(newEvents())
	o.HeaderFunc = func(context.Context) (http.Header, error) {
		return http.Header{"Authorization": {"Bearer " + token.Load().(string)}}, nil
	}
	o.RefreshCredentials = func(_ context.Context, refusal error) error {
		refreshed++
		token.Store("fresh")
		return nil
	}
	c := mustDial(t, r.url(), o)
	if refreshed != 1 {
		t.Fatalf("refreshed %d times", refreshed)
	}
	roundTrip(t, c, "auth", 5)
}

// A rolling restart: the server shuts down (Handler.Shutdown: close 1001)
// and a new process starts on the same address without the old sessions.
// The client reconnects, reports the session lost (nothing the server had
// acknowledged is in it) and goes on with a new session; it never closes.
func TestRollingRestartKeepsGoing(t *testing.T) {
	for _, tr := range []string{"websocket", "sse", "longpoll"} {
		t.Run(tr, func(t *testing.T) {
			r := newRig(t, echo, nil, nil)
			ev := newEvents()
			o := r.opts(ev)
			o.Transports = []string{tr}
			c := mustDial(t, r.url(), o)
			roundTrip(t, c, "a", 20)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := c.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			n := ev.len()
			if err := r.handle.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			dis := ev.waitFor(t, n, "disconnected", func(e Event) bool { _, ok := e.(DisconnectedEvent); return ok }).(DisconnectedEvent)
			// The close frame (1001), or on long-polling possibly the
			// shutting-down server's refusal of the next poll (retry).
			var ce *CloseError
			var se *ServerError
			if !(errors.As(dis.Cause, &ce) && ce.Code == CloseGoingAway) && !(errors.As(dis.Cause, &se) && se.Code == CodeInternal) {
				t.Fatalf("disconnected by %v", dis.Cause)
			}
			r.stop()
			r.setHandler(server.NewHandler(echo, nil), nil)
			r.start()
			lost := ev.waitFor(t, n, "session lost", func(e Event) bool { _, ok := e.(SessionLostEvent); return ok }).(SessionLostEvent)
			if len(lost.Unacknowledged) != 0 {
				t.Fatalf("acknowledged messages reported lost: %d", len(lost.Unacknowledged))
			}
			ev.waitFor(t, n, "connected", connectedOn(tr))
			if _, err := c.Receive(ctx); !errors.Is(err, ErrSessionLost) {
				t.Fatalf("Receive: %v, want the session loss once", err)
			}
			roundTrip(t, c, "b", 20)
			for _, e := range ev.snapshot() {
				if _, ok := e.(ClosedEvent); ok {
					t.Fatalf("the client closed during the restart: %v", ev.snapshot())
				}
			}
		})
	}
}
