//go:build !js

package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// The client-side rules of PROTOCOL.md on the wire, against the scripted
// fake server of fakeserver_test.go (real sockets on 127.0.0.1). The table
// of every client-side rule is in must_test.go.

// mustOpts are options for a client of the fake server: fast backoff, no
// probes, events in ev.
func mustOpts(ev *events, transports ...string) *Options {
	return &Options{Transports: transports, OnEvent: ev.add, ProbeInterval: -1,
		InitialBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
}

func mustDialFake(t *testing.T, f *fakeServer, o *Options) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, f.url(), o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func recvCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// 2, 7.1: the client offers tether.v1, sends the hello as its first
// message (a new session: no sid), and keeps the application's query.
func TestMustOfferSubprotocolAndHelloFirst(t *testing.T) {
	f := newFakeServer(t)
	got := make(chan string, 1)
	f.ws = func(s *fakeWS) {
		h := s.must(wire.KindHello)
		got <- fmt.Sprintf("%s|%s|%+v", s.req.Header.Get("Sec-WebSocket-Protocol"), s.req.URL.Query().Get("room"), *h.Hello)
		s.welcome(h, "s1", 0, nil)
		s.clientCloseCode()
	}
	mustDialFake(t, f, mustOpts(newEvents()))
	if g := <-got; g != "tether.v1|42|{V:1 SID: Key: Ack:0 Probe:false}" {
		t.Fatalf("upgrade and hello: %s", g)
	}
}

// 2: a server that does not select tether.v1 is not Tether: Dial fails at
// once with a permanent error, and no fallback is tried.
func TestMustRefuseServerWithoutSubprotocol(t *testing.T) {
	f := newFakeServer(t)
	f.noSubprotocol = true
	f.http = func(w http.ResponseWriter, r *http.Request) { t.Errorf("fallback tried: %s", r.URL) }
	_, err := Dial(recvCtx(t), f.url(), mustOpts(newEvents()))
	if err == nil || !transport.Classify(err).Permanent() {
		t.Fatalf("Dial: %v (class %v)", err, transport.Classify(err))
	}
}

// 2: unknown fields of JSON objects are ignored.
func TestMustIgnoreUnknownFields(t *testing.T) {
	f := newFakeServer(t)
	f.ws = func(s *fakeWS) {
		s.must(wire.KindHello)
		s.sendRaw(`w{"v":1,"sid":"s1","key":"k1","resumed":false,"ack":0,"hb":25000,"timeout":45000,"ttl":120000,"max":1048576,"poll":25000,"transports":["websocket"],"future":{"x":[1]}}`)
		s.send(text(1, "hi"))
		s.clientCloseCode()
	}
	c := mustDialFake(t, f, mustOpts(newEvents()))
	if m, err := c.Receive(recvCtx(t)); err != nil || string(m.Data) != "hi" {
		t.Fatalf("Receive: %q %v", m.Data, err)
	}
}

// 2, 5: an unknown frame kind is malformed: the client drops that
// connection (and resumes).
func TestMustTreatUnknownKindAsMalformed(t *testing.T) {
	f := newFakeServer(t)
	f.ws = func(s *fakeWS) {
		h := s.must(wire.KindHello)
		s.welcome(h, "s1", 0, nil)
		if h.Hello.SID == "" {
			s.sendRaw("x1")
		}
		s.clientCloseCode()
	}
	ev := newEvents()
	mustDialFake(t, f, mustOpts(ev))
	dis := ev.waitFor(t, 0, "disconnected", isEvent[DisconnectedEvent]).(DisconnectedEvent)
	var pe *ProtocolError
	if !errors.As(dis.Cause, &pe) {
		t.Fatalf("cause %v", dis.Cause)
	}
	ev.waitFor(t, 0, "resumed", func(e Event) bool { ce, ok := e.(ConnectedEvent); return ok && ce.Resumed })
}

// 4.3, 4.4: duplicates are dropped, data is delivered in order and acked
// soon (an a frame with the client's recv); stale acks are ignored.
func TestMustDropDuplicatesAndAck(t *testing.T) {
	f := newFakeServer(t)
	acked := make(chan uint64, 1)
	f.ws = func(s *fakeWS) {
		h := s.must(wire.KindHello)
		s.welcome(h, "s1", 0, nil)
		s.send(text(1, "one"), text(1, "one"), text(2, "two"), text(1, "one"), wire.Frame{Kind: wire.KindAck, Seq: 0})
		for {
			a, ok := s.skipTo(wire.KindAck)
			if !ok {
				return
			}
			if a.Seq == 2 {
				acked <- a.Seq
				s.clientCloseCode()
				return
			}
		}
	}
	c := mustDialFake(t, f, mustOpts(newEvents()))
	for _, want := range []string{"one", "two"} {
		if m, err := c.Receive(recvCtx(t)); err != nil || string(m.Data) != want {
			t.Fatalf("Receive: %q %v, want %q", m.Data, err, want)
		}
	}
	<-acked
	c.mu.Lock()
	extra := len(c.inbox)
	c.mu.Unlock()
	if extra != 0 {
		t.Fatalf("%d more messages: duplicates delivered", extra)
	}
}

// 4.3: a gap in the server's seqs closes that WebSocket with 1002 and the
// client resumes, with its recv in the hello.
func TestMustGapClosesWith1002AndResumes(t *testing.T) {
	f := newFakeServer(t)
	codes := make(chan int, 2)
	hellos := make(chan wire.Hello, 2)
	f.ws = func(s *fakeWS) {
		h := s.must(wire.KindHello)
		hellos <- *h.Hello
		s.welcome(h, "s1", 0, nil)
		if h.Hello.SID == "" {
			s.send(text(1, "one"), text(3, "three"))
			codes <- s.clientCloseCode()
			return
		}
		s.clientCloseCode()
	}
	mustDialFake(t, f, mustOpts(newEvents()))
	if code := <-codes; code != websocket.CloseProtocolError {
		t.Fatalf("closed with %d, want 1002", code)
	}
	<-hellos
	if h := <-hellos; h.SID != "s1" || h.Key == "" || h.Ack != 1 {
		t.Fatalf("resume hello %+v", h)
	}
}

// 4.5, 7.2: on resume the client sends sid, key and its recv, sends no
// data before the welcome, then sends again every frame above the
// welcome's ack, in order.
func TestMustResumeResendsAboveWelcomeAck(t *testing.T) {
	f := newFakeServer(t)
	got := make(chan string, 1)
	var mu sync.Mutex
	conns := 0
	f.ws = func(s *fakeWS) {
		mu.Lock()
		conns++
		n := conns
		mu.Unlock()
		h := s.must(wire.KindHello)
		if n == 1 {
			s.welcome(h, "s1", 0, nil)
			for i := 0; i < 3; i++ {
				s.skipTo(wire.KindText)
			}
			s.send(wire.Frame{Kind: wire.KindAck, Seq: 1})
			s.closeWith(websocket.CloseGoingAway, "") // a drop, with 1..3 sent and 1 acked
			return
		}
		var seqs []string
		seqs = append(seqs, fmt.Sprintf("hello sid=%s ack=%d key=%v", h.Hello.SID, h.Hello.Ack, h.Hello.Key != ""))
		s.welcome(h, "s1", 2, nil)
		for len(seqs) < 2 {
			m, ok := s.skipTo(wire.KindText)
			if !ok {
				break
			}
			seqs = append(seqs, fmt.Sprintf("m%d %s", m.Seq, m.Data))
		}
		got <- strings.Join(seqs, "; ")
		s.clientCloseCode()
	}
	c := mustDialFake(t, f, mustOpts(newEvents()))
	for _, m := range []string{"a", "b", "c"} {
		c.Send(recvCtx(t), Text(m))
	}
	if g := <-got; g != "hello sid=s1 ack=0 key=true; m3 c" {
		t.Fatalf("resume: %s", g)
	}
}

// 11: a p is answered with a q carrying the client's recv.
func TestMustAnswerPing(t *testing.T) {
	f := newFakeServer(t)
	got := make(chan uint64, 1)
	f.ws = func(s *fakeWS) {
		h := s.must(wire.KindHello)
		s.welcome(h, "s1", 0, nil)
		s.send(text(1, "x"), wire.Frame{Kind: wire.KindPing, Seq: 0})
		q, _ := s.skipTo(wire.KindPong)
		got <- q.Seq
		s.clientCloseCode()
	}
	c := mustDialFake(t, f, mustOpts(newEvents()))
	c.Receive(recvCtx(t))
	if q := <-got; q != 1 {
		t.Fatalf("pong carries %d, want the client's recv 1", q)
	}
}

// 12, 7.3: a final c is answered with the client's own c, and the server's
// WebSocket close frame is echoed (the server sees 1000, not 1006).
func TestMustAnswerFinalCloseAndEchoCloseFrame(t *testing.T) {
	f := newFakeServer(t)
	got := make(chan string, 1)
	f.ws = func(s *fakeWS) {
		h := s.must(wire.KindHello)
		s.welcome(h, "s1", 0, nil)
		s.send(text(1, "bye"), closeFrame(1000, "session over"))
		c, ok := s.skipTo(wire.KindClose)
		if !ok {
			got <- "no c"
			return
		}
		s.closeWith(1000, "")
		got <- fmt.Sprintf("c %d; close frame %d", c.Close.Code, s.clientCloseCode())
	}
	ev := newEvents()
	mustDialFake(t, f, mustOpts(ev))
	if g := <-got; g != "c 1000; close frame 1000" {
		t.Fatalf("the client answered: %s", g)
	}
	closed := ev.waitFor(t, 0, "closed", isEvent[ClosedEvent]).(ClosedEvent)
	var ce *CloseError
	if !errors.As(closed.Err, &ce) || ce.Code != 1000 {
		t.Fatalf("closed with %v", closed.Err)
	}
}

// 12: the client closing: c, the server's c, and the close frame.
func TestMustCloseHandshake(t *testing.T) {
	f := newFakeServer(t)
	got := make(chan string, 1)
	f.ws = func(s *fakeWS) {
		h := s.must(wire.KindHello)
		s.welcome(h, "s1", 0, nil)
		s.noCloseAnswer = true
		m, _ := s.skipTo(wire.KindText)
		c, ok := s.skipTo(wire.KindClose)
		if !ok {
			got <- "no c"
			return
		}
		s.send(wire.Frame{Kind: wire.KindAck, Seq: m.Seq}, closeFrame(1000, ""))
		got <- fmt.Sprintf("%s then c %d; close frame %d", m.Data, c.Close.Code, s.clientCloseCode())
	}
	c := mustDialFake(t, f, mustOpts(newEvents()))
	c.Send(recvCtx(t), Text("last"))
	if err := c.Close(recvCtx(t)); err != nil {
		t.Fatal(err)
	}
	if g := <-got; g != "last then c 1000; close frame 1000" {
		t.Fatalf("close: %s", g)
	}
}

// 7.3: what a WebSocket close code means when no c, e or s came before
// it: resume for 1001, 1002, 1011 and others; end for 1009 (as
// message_too_large) and 4400 (as bad_request).
func TestMustActOnBareCloseCodes(t *testing.T) {
	for code, resume := range map[int]bool{1001: true, 1002: true, 1011: true, 4000: true, 1009: false, 4400: false, 4413: false} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			f := newFakeServer(t)
			f.ws = func(s *fakeWS) {
				h := s.must(wire.KindHello)
				s.welcome(h, "s1", 0, nil)
				if h.Hello.SID == "" {
					s.closeWith(code, "")
				}
				s.clientCloseCode()
			}
			ev := newEvents()
			mustDialFake(t, f, mustOpts(ev))
			e := ev.waitFor(t, 2, "resumed or closed", func(e Event) bool {
				ce, ok := e.(ConnectedEvent)
				return ok && ce.Resumed || isEvent[ClosedEvent](e)
			})
			if _, resumed := e.(ConnectedEvent); resumed != resume {
				t.Fatalf("after a bare close %d: %v", code, ev.snapshot())
			}
		})
	}
}

// 13: error frames: bad_request and message_too_large end the session
// (no retry on its own); session_not_found starts a new session and
// reports the unacked messages, without sending them on the new session.
func TestMustActOnErrorFrames(t *testing.T) {
	for _, code := range []string{wire.CodeBadRequest, wire.CodeMessageTooLarge} {
		t.Run(code, func(t *testing.T) {
			f := newFakeServer(t)
			var mu sync.Mutex
			conns := 0
			f.ws = func(s *fakeWS) {
				mu.Lock()
				conns++
				mu.Unlock()
				h := s.must(wire.KindHello)
				s.welcome(h, "s1", 0, nil)
				status := wire.StatusOf(code)
				s.sendRaw(fmt.Sprintf(`e{"code":%q,"message":"scripted","status":%d}`, code, status))
				s.closeWith(wire.CloseErrorBase+status, code)
				s.clientCloseCode()
			}
			ev := newEvents()
			mustDialFake(t, f, mustOpts(ev))
			closed := ev.waitFor(t, 0, "closed", isEvent[ClosedEvent]).(ClosedEvent)
			var se *ServerError
			if !errors.As(closed.Err, &se) || se.Code != code {
				t.Fatalf("closed with %v", closed.Err)
			}
			mu.Lock()
			defer mu.Unlock()
			if conns != 1 {
				t.Fatalf("%d connections: retried after %s", conns, code)
			}
		})
	}
}

// 4.7, 13: session_not_found on resume: a new session (a hello without
// sid), the unacked messages reported and not sent on it.
func TestMustSessionNotFoundStartsNewSession(t *testing.T) {
	f := newFakeServer(t)
	newData := make(chan string, 4)
	var mu sync.Mutex
	conns := 0
	f.ws = func(s *fakeWS) {
		mu.Lock()
		conns++
		n := conns
		mu.Unlock()
		h := s.must(wire.KindHello)
		switch {
		case n == 1:
			s.welcome(h, "s1", 0, nil)
			s.skipTo(wire.KindText)
			s.closeWith(websocket.CloseGoingAway, "")
		case h.Hello.SID != "":
			s.sendRaw(`e{"code":"session_not_found","message":"no such session","status":410}`)
			s.closeWith(4410, "session_not_found")
		default:
			s.welcome(h, "s2", 0, nil)
			for {
				m, ok := s.skipTo(wire.KindText)
				if !ok {
					return
				}
				newData <- string(m.Data)
			}
		}
		s.clientCloseCode()
	}
	ev := newEvents()
	c := mustDialFake(t, f, mustOpts(ev))
	c.Send(recvCtx(t), Text("lost"))
	lost := ev.waitFor(t, 0, "session lost", isEvent[SessionLostEvent]).(SessionLostEvent)
	if len(lost.Unacknowledged) != 1 || string(lost.Unacknowledged[0].Data) != "lost" {
		t.Fatalf("reported %v", lost.Unacknowledged)
	}
	if err := c.Send(recvCtx(t), Text("new")); err != nil {
		t.Fatal(err)
	}
	if m := <-newData; m != "new" {
		t.Fatalf("the new session got %q first", m)
	}
}

// 5.2, 6.2: a payload over the welcome's max, or invalid UTF-8 text, fails
// the send at once; nothing is sent.
func TestMustRefuseOverMaxAndInvalidText(t *testing.T) {
	f := newFakeServer(t)
	f.ws = func(s *fakeWS) {
		s.must(wire.KindHello)
		s.sendRaw(`w{"v":1,"sid":"s1","key":"k1","resumed":false,"ack":0,"hb":25000,"timeout":45000,"ttl":120000,"max":8,"poll":25000,"transports":["websocket"]}`)
		if f, err := s.read(); err == nil && (f.Kind == wire.KindText || f.Kind == wire.KindBinary) {
			t.Errorf("the client sent %v %q", f.Kind, f.Data)
		}
	}
	c := mustDialFake(t, f, mustOpts(newEvents()))
	if err := c.Send(recvCtx(t), Text("123456789")); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("9 bytes over max 8: %v", err)
	}
	if err := c.Send(recvCtx(t), Message{Data: []byte{0xff}}); !errors.Is(err, ErrInvalidText) {
		t.Fatalf("invalid UTF-8: %v", err)
	}
}
