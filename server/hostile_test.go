package server

// The server half of the hostile-peer suite (issue 10): each attack against
// the real handler over real loopback sockets, its bound asserted as memory
// or a count, never as elapsed time.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/wire"
)

// idle is a serve function that never reads: everything the client sends
// stays buffered.
func idle(s *Session) { <-s.Context().Done() }

// pingFloodCeiling bounds the heap the server may grow by while one client
// sends pingFloodCount pings without reading. Before the fix every ping
// queued a pong (about 80 bytes each: 16 MB and more for this count).
const (
	pingFloodCount   = 200_000
	pingFloodCeiling = 4 << 20
)

func TestHostilePingFloodHoldsOnePong(t *testing.T) {
	// WriteTimeout too: the server's writes block by design here, and on a loaded
	// machine the flood outlasts the default and the connection is cut.
	r, _, g := newPlainRig(t, idle, &Options{Heartbeat: time.Hour, Timeout: time.Hour, WriteTimeout: time.Hour})
	c, err := r.dialPlainWS(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wsWrite(t, c, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: 1}})
	if f := wsRead(t, c); f.Kind != wire.KindWelcome {
		t.Fatalf("got %s, want the welcome", f.Kind)
	}
	g.set(false) // from now on the client reads nothing: the server's writes block
	s := r.onlySession()
	base := heapInUse()
	maxPending := 0
	for i := range pingFloodCount {
		if err := c.WriteMessage(websocket.TextMessage, []byte("p0")); err != nil {
			t.Fatalf("ping %d: %v", i, err)
		}
		if i%1000 == 0 {
			s.mu.Lock()
			a := s.att
			s.mu.Unlock()
			if a != nil {
				maxPending = max(maxPending, a.pendingReplies())
			}
		}
	}
	// A data frame after the pings: once it is in the inbox, every ping
	// before it was handled.
	wsWrite(t, c, text(1, "last"))
	eventually(t, "the server reads every ping", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.in.Recv() == 1
	})
	grown := int64(heapInUse()) - int64(base)
	t.Logf("%d pings from a client that never reads: server heap grew by %d bytes, at most %d pong pending", pingFloodCount, grown, maxPending)
	if grown > pingFloodCeiling {
		t.Errorf("heap grew by %d bytes during the ping flood, over the ceiling of %d", grown, pingFloodCeiling)
	}
	if maxPending > 1 {
		t.Errorf("%d pongs pending, want at most 1 (only the latest is kept)", maxPending)
	}
}

// A writer that cannot write closes the connection: the reader stops and
// the client's writes fail, instead of the server reading forever.
func TestHostileWriterFailureClosesConnection(t *testing.T) {
	r, _, g := newPlainRig(t, idle, &Options{Heartbeat: time.Hour, WriteTimeout: 300 * time.Millisecond})
	c, err := r.dialPlainWS(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wsWrite(t, c, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: 1}})
	if f := wsRead(t, c); f.Kind != wire.KindWelcome {
		t.Fatalf("got %s, want the welcome", f.Kind)
	}
	g.set(false)
	const bound = 5_000_000
	sent := 0
	for ; sent < bound; sent++ {
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if c.WriteMessage(websocket.TextMessage, []byte("p0")) != nil {
			break
		}
	}
	if sent == bound {
		t.Fatalf("the server still read after %d pings with its writer blocked", bound)
	}
	s := r.onlySession()
	eventually(t, "the session is detached", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.att == nil
	})
}

// 10,000 session attempts from one address get that address its share, and
// a second address still connects.
func TestHostileOneAddressCannotLockOthersOut(t *testing.T) {
	r, _, _ := newPlainRig(t, idle, &Options{
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		NewSessionRate: -1, // the per-address session bound alone (the rate is tested with synctest)
		MaxSessions:    1000,
		// Sessions whose client never comes back end after NewSessionTTL and
		// free their place: on a loaded machine the flood outlasted the 10 s
		// default and 512 were admitted.
		NewSessionTTL: time.Hour, SessionTTL: time.Hour,
	})
	open := func(addr string) (int, wire.Error, http.Header) {
		req, _ := http.NewRequest(http.MethodGet, r.url(q(wire.ParamMode, wire.ModePollOpen)), nil)
		resp, err := r.client.Do(fromAddr(req, addr))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e wire.Error
		if resp.StatusCode != 200 {
			decodeError(t, resp, &e)
		}
		return resp.StatusCode, e, resp.Header
	}
	ok, refused := 0, 0
	for range 10_000 {
		status, e, hd := open("203.0.113.9")
		switch {
		case status == 200:
			ok++
		case status == 429 && e.Code == wire.CodeTooManySessions && e.Retry > 0 && hd.Get("Retry-After") != "":
			refused++
		default:
			t.Fatalf("status %d %+v, Retry-After %q: want 200, or 429 too_many_sessions with Retry-After and retry", status, e, hd.Get("Retry-After"))
		}
	}
	if ok != DefaultSessionsPerAddr || refused != 10_000-DefaultSessionsPerAddr {
		t.Errorf("one address: %d sessions, %d refused; want %d and %d", ok, refused, DefaultSessionsPerAddr, 10_000-DefaultSessionsPerAddr)
	}
	if status, e, _ := open("198.51.100.7"); status != 200 {
		t.Fatalf("a second address after the flood: %d %+v, want 200", status, e)
	}
	// IPv6: one /64 is one address.
	for i := range DefaultSessionsPerAddr {
		if status, _, _ := open(fmt.Sprintf("2001:db8:1:2::%x", i+1)); status != 200 {
			t.Fatalf("IPv6 session %d of the /64: %d", i+1, status)
		}
	}
	if status, _, _ := open("2001:db8:1:2::ffff"); status != 429 {
		t.Errorf("one more in the same /64: %d, want 429", status)
	}
	if status, _, _ := open("2001:db8:1:3::1"); status != 200 {
		t.Errorf("another /64: %d, want 200", status)
	}
}

// Send bodies that trickle are cut at Options.BodyTimeout: every such
// connection is closed by the server, none answered with success, and no
// budget is left charged.
func TestHostileTricklingSendIsCut(t *testing.T) {
	r, open, _ := newPlainRig(t, idle, &Options{BodyTimeout: 300 * time.Millisecond, NewSessionRate: -1})
	const n = 20
	conns := make([]net.Conn, n)
	for i := range conns {
		_, fr, _ := r.get(q(wire.ParamMode, wire.ModePollOpen), "")
		w := fr[0].Welcome
		c, err := net.Dial("tcp", r.srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /live?tether=send&tether_v=1&tether_sid=%s HTTP/1.1\r\nHost: x\r\nTether-Key: %s\r\nContent-Length: 1000\r\n\r\n[", w.SID, w.Key)
		conns[i] = c
	}
	r.client.CloseIdleConnections()
	for i, c := range conns {
		// One more byte now and then, as long as the server lets us.
		var got []byte
		for tries := 0; ; tries++ {
			if tries == 400 {
				t.Fatalf("connection %d: still open after %d trickled bytes", i, tries)
			}
			c.Write([]byte(" "))
			c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			var b [512]byte
			k, err := c.Read(b[:])
			got = append(got, b[:k]...)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if err != nil {
				break // closed by the server
			}
		}
		if strings.HasPrefix(string(got), "HTTP/1.1 200") {
			t.Fatalf("connection %d: a trickling send was answered %q", i, got)
		}
	}
	eventually(t, "every trickling connection is closed", func() bool { return open.Load() == 0 })
	if got := r.h.budget.inUse(); got != 0 {
		t.Errorf("%d bytes still charged to the budget after the cut sends", got)
	}
}

// A Content-Length over the send limit is refused at once, body unread.
func TestHostileOversizeContentLength(t *testing.T) {
	r, _, _ := newPlainRig(t, idle, nil)
	_, fr, _ := r.get(q(wire.ParamMode, wire.ModePollOpen), "")
	w := fr[0].Welcome
	c, err := net.Dial("tcp", r.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "POST /live?tether=send&tether_v=1&tether_sid=%s HTTP/1.1\r\nHost: x\r\nTether-Key: %s\r\nContent-Length: 100000000\r\n\r\n", w.SID, w.Key)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to a 100 MB Content-Length with no body: %v", err)
	}
	var e wire.Error
	decodeError(t, resp, &e)
	if resp.StatusCode != 413 || e.Code != wire.CodeMessageTooLarge || !resp.Close {
		t.Fatalf("%d %+v close=%v: want 413 message_too_large and the connection closed", resp.StatusCode, e, resp.Close)
	}
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("the connection stayed open after the 413")
	}
}

// Many sessions each buffering messages stay within the global budget, and
// every byte charged is a byte buffered.
func TestHostileGlobalBudget(t *testing.T) {
	const (
		msgSize  = 60 << 10
		budget   = 1 << 20
		sessions = 40
		perConn  = 8
	)
	r, _, _ := newPlainRig(t, idle, &Options{MaxMessageBytes: 64 << 10, MaxTotalBufferedBytes: budget,
		SessionTTL: 500 * time.Millisecond, Heartbeat: time.Hour})
	payload := strings.Repeat("x", msgSize)
	var conns []*websocket.Conn
	for range sessions {
		c, err := r.dialPlainWS(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		wsWrite(t, c, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: 1}})
		for i := range perConn {
			c.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf("m%d %s", i+1, payload))); err != nil {
				break // the server stopped reading: its buffers are full
			}
		}
		conns = append(conns, c)
	}
	eventually(t, "the budget fills", func() bool { return r.h.budget.inUse() > budget-msgSize })
	var inboxes int64
	for _, s := range r.h.opts.Store.All() {
		s.mu.Lock()
		inboxes += int64(s.inboxBytes + s.out.Bytes())
		if int64(s.inboxBytes+s.out.Bytes()) != s.held {
			t.Errorf("session %s buffers %d bytes but is charged %d", s.id, s.inboxBytes+s.out.Bytes(), s.held)
		}
		s.mu.Unlock()
	}
	used := r.h.budget.inUse()
	t.Logf("%d sessions wanting %d bytes: %d buffered, budget %d", sessions, sessions*perConn*msgSize, inboxes, budget)
	if used > budget || inboxes != used {
		t.Errorf("budget in use %d, buffered %d: want equal and at most %d", used, inboxes, budget)
	}
	// The application's Send waits too while the budget is spent.
	s := r.h.opts.Store.All()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Send(ctx, Text(payload)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send with the budget spent: %v, want to wait (context.DeadlineExceeded)", err)
	}
	for _, c := range conns {
		c.Close()
	}
	eventually(t, "every byte returns to the budget once the sessions expire", func() bool { return r.h.budget.inUse() == 0 })
}

// A session keeps a capped copy of its headers, without credentials.
func TestHostileHeadersKeptCapped(t *testing.T) {
	r, _, _ := newPlainRig(t, idle, nil)
	req, _ := http.NewRequest(http.MethodGet, r.url(q(wire.ParamMode, wire.ModePollOpen)), nil)
	for i := range 400 {
		req.Header.Set(fmt.Sprintf("X-Big-%03d", i), strings.Repeat("v", 1000))
	}
	req.Header.Set("Cookie", "session=secret")
	req.Header.Set("Authorization", "Bearer secret")
	status, _, e := r.do(req)
	if status != 200 {
		t.Fatalf("%d %+v", status, e)
	}
	hd := r.onlySession().Remote().Header
	total := 0
	for k, vs := range hd {
		for _, v := range vs {
			total += len(k) + len(v)
		}
	}
	if total > DefaultMaxHeaderBytes || hd.Get("Cookie") != "" || hd.Get("Authorization") != "" {
		t.Errorf("kept %d header bytes (limit %d), Cookie %q, Authorization %q", total, DefaultMaxHeaderBytes, hd.Get("Cookie"), hd.Get("Authorization"))
	}
}

// One send per session is applied at a time: while one is read, one more
// waits its turn and any further is refused with 429.
func TestHostileConcurrentSends(t *testing.T) {
	r, _, _ := newPlainRig(t, idle, &Options{BodyTimeout: time.Hour})
	_, fr, _ := r.get(q(wire.ParamMode, wire.ModePollOpen), "")
	w := fr[0].Welcome
	start := func() net.Conn {
		c, err := net.Dial("tcp", r.srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "POST /live?tether=send&tether_v=1&tether_sid=%s HTTP/1.1\r\nHost: x\r\nTether-Key: %s\r\nContent-Length: 2\r\n\r\n", w.SID, w.Key)
		return c
	}
	first := start() // holds the slot: its body never comes
	s := r.onlySession()
	eventually(t, "the first send holds the slot", func() bool { return len(s.sendSlot) == 1 })
	second := start()
	eventually(t, "the second send waits", func() bool { return s.sendWaiters.Load() == 1 })
	third := start()
	third.Write([]byte("[]")) // net/http reads a small unread body before it answers
	third.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(third), nil)
	if err != nil {
		t.Fatal(err)
	}
	var e wire.Error
	decodeError(t, resp, &e)
	if resp.StatusCode != 429 || e.Code != wire.CodeTooManyPolls || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third concurrent send: %d %+v, want 429 too_many_polls with Retry-After", resp.StatusCode, e)
	}
	first.Write([]byte("[]"))
	second.Write([]byte("[]"))
	for i, c := range []net.Conn{first, second} {
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("send %d: %v %v", i+1, resp, err)
		}
	}
}

// BodyTimeout bounds the arrival of a body, not the wait for room after
// it: a send held by backpressure past BodyTimeout is still answered.
func TestSendHeldByBackpressureOutlivesBodyTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := func(s *Session) {
		<-release
		for {
			if _, err := s.Receive(s.Context()); err != nil {
				return
			}
		}
	}
	r, _, _ := newPlainRig(t, slow, &Options{BodyTimeout: 100 * time.Millisecond, MaxBufferedBytes: 8})
	_, fr, _ := r.get(q(wire.ParamMode, wire.ModePollOpen), "")
	w := fr[0].Welcome
	go func() {
		time.Sleep(500 * time.Millisecond) // well past BodyTimeout; the outcome is asserted, not the time
		close(release)
	}()
	status, frames, e := r.post(q(wire.ParamMode, wire.ModeSend, wire.ParamSID, w.SID), w.Key,
		text(1, "12345678"), text(2, "waits for room"))
	if status != 200 || len(frames) == 0 || frames[0].Kind != wire.KindAck || frames[0].Seq != 2 {
		t.Fatalf("%d %v %+v: want 200 with [\"a\",2]", status, frames, e)
	}
}
