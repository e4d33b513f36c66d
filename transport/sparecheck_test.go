//go:build !js

package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// closingRefuser is a TLS server on loopback that answers a WebSocket
// upgrade with a 400 that keeps the connection open (HTTP/1.1, a
// Content-Length body, no "Connection: close": the client keeps it as its
// spare), and then closes that connection: at once (an idle timeout of
// nearly nothing) or when the next request arrives on it, unanswered (the
// server closing as the request went out). Requests on any other
// connection are answered 200 with "fallback:" and their body.
type closingRefuser struct {
	ln       net.Listener
	onNext   bool          // close when the next request arrives, not at once
	refused  chan struct{} // closed once the refused connection is closed
	mu       sync.Mutex
	accepted int
	onFirst  int // requests seen on the refused connection
}

func newClosingRefuser(t *testing.T, p pki, onNext bool) *closingRefuser {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{p.leaf.TLSCertificate()}})
	if err != nil {
		t.Fatal(err)
	}
	s := &closingRefuser{ln: ln, onNext: onNext, refused: make(chan struct{})}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.accepted++
			first := s.accepted == 1
			s.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				if first {
					s.refuse(c)
				} else {
					s.answer(c)
				}
			}()
		}
	}()
	return s
}

func (s *closingRefuser) addr() string { return s.ln.Addr().String() }

func (s *closingRefuser) refuse(c net.Conn) {
	defer close(s.refused)
	br := bufio.NewReader(c)
	if _, err := http.ReadRequest(br); err != nil {
		return
	}
	s.mu.Lock()
	s.onFirst++
	s.mu.Unlock()
	io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 16\r\n\r\nupgrade refused\n")
	if s.onNext {
		if _, err := http.ReadRequest(br); err == nil {
			s.mu.Lock()
			s.onFirst++
			s.mu.Unlock()
		}
	}
	c.Close()
}

func (s *closingRefuser) answer(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, _ := io.ReadAll(req.Body)
		out := "fallback:" + string(body)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "+strconv.Itoa(len(out))+"\r\n\r\n"+out)
	}
}

func (s *closingRefuser) counts() (accepted, onFirst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted, s.onFirst
}

// Issue 15: the spare a refused upgrade left is closed by the server
// before the fallback's request (at once after its refusal, or as the
// request arrives): the request still gets its answer, on a fresh
// connection, with no error; the request that went out on the dead spare
// (a POST, its body sent again) is sent once more.
func TestSpareClosedByServer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		onNext bool
		method string
	}{{"closed after refusing", false, "GET"}, {"closed as the request arrives", true, "GET"}, {"closed as a POST arrives", true, "POST"}} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPKI(t)
			s := newClosingRefuser(t, p, tc.onNext)
			d := mustDialer(t, "wss://"+s.addr()+"/tether", &Config{RootCAs: p.ca.Pool()})
			_, _, err := d.dialWebSocket(context.Background(), nil)
			var he *HandshakeError
			if !errors.As(err, &he) || he.StatusCode != http.StatusBadRequest {
				t.Fatalf("upgrade: %v, want a 400 HandshakeError", err)
			}
			if !tc.onNext {
				<-s.refused // the server closed the spare before the request
				d.spare.mu.Lock()
				spare := d.spare.conn
				d.spare.mu.Unlock()
				if spare == nil {
					t.Fatal("no spare kept after the refusal")
				}
				for i := 0; idleAlive(spare); i++ { // its FIN reaches the client a moment later
					if i == 5000 {
						t.Fatal("the closed spare still looks alive")
					}
					time.Sleep(time.Millisecond)
				}
			}
			var body io.Reader
			if tc.method == "POST" {
				body = strings.NewReader("frames")
			}
			req, err := http.NewRequest(tc.method, "https://"+s.addr()+"/tether", body)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := d.HTTPClient().Do(req)
			if err != nil {
				t.Fatalf("the fallback's request failed: %v", err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := "fallback:"
			if tc.method == "POST" {
				want += "frames"
			}
			if string(got) != want {
				t.Fatalf("answer %q, want %q", got, want)
			}
			accepted, onFirst := s.counts()
			if accepted != 2 {
				t.Fatalf("%d connections accepted, want 2 (the refused one, a fresh one)", accepted)
			}
			if tc.onNext && onFirst != 2 {
				t.Fatalf("%d requests on the refused connection, want the upgrade and the fallback's (then closed)", onFirst)
			}
			d.spare.mu.Lock()
			dead := d.spare.dead
			d.spare.mu.Unlock()
			if want := map[bool]int{false: 1, true: 0}[tc.onNext]; dead != want {
				t.Fatalf("%d spares dropped as closed when taken, want %d", dead, want)
			}
		})
	}
}

// idleAlive looks through TLS at the socket without waiting: an idle
// connection is alive; one whose peer sent bytes nobody asked for, or
// closed it, is not.
func TestIdleAlive(t *testing.T) {
	p := newPKI(t)
	// No session tickets: nothing follows the handshake unasked.
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{p.leaf.TLSCertificate()}, SessionTicketsDisabled: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, tc := range []struct {
		name string
		do   func(c net.Conn)
	}{
		{"sends unasked bytes", func(c net.Conn) { io.WriteString(c, "HTTP/1.1 408 Request Timeout\r\n\r\n") }},
		{"closes", func(c net.Conn) { c.Close() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := make(chan net.Conn, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					srv <- nil
					return
				}
				c.(*tls.Conn).Handshake()
				srv <- c
			}()
			c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: p.ca.Pool()})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			sc := <-srv
			if sc == nil {
				t.Fatal("no server connection")
			}
			defer sc.Close()
			if !idleAlive(c) {
				t.Fatal("an idle connection is not alive")
			}
			tc.do(sc)
			// The bytes or the FIN reach the client's socket a moment later.
			for i := 0; idleAlive(c); i++ {
				if i == 5000 {
					t.Fatal("still alive after the server's bytes or close")
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
}
