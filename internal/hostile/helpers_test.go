package hostile_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/tether-sdk/tether/internal/certs"
	"github.com/tether-sdk/tether/internal/testkit"
)

// TestMain fails the run if a goroutine outlives the tests.
func TestMain(m *testing.M) { testkit.Main(m) }

// settle waits until no goroutine's stack satisfies bad (see testkit.Settle).
func settle(bad func(stack string) bool) (string, bool) { return testkit.Settle(bad) }

// checkLeaks records the goroutine count now and, at cleanup (after every
// later-registered cleanup, such as component Close), fails the test unless
// the count settles back to it. Call it first in a test.
func checkLeaks(t *testing.T) {
	t.Helper()
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for runtime.NumGoroutine() > base {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutines: %d at start, %d after Close:\n%s", base, runtime.NumGoroutine(), buf)
				return
			}
			<-tick.C
		}
	})
}

// pki is a CA with one leaf for 127.0.0.1 and localhost, shared by targets
// and TLS proxies.
type pki struct {
	ca   *certs.CA
	leaf *certs.Leaf
}

var (
	pkiOnce sync.Once
	testPKI pki
)

func getPKI(t *testing.T) pki {
	t.Helper()
	pkiOnce.Do(func() {
		ca, err := certs.NewCA("hostile test CA")
		if err != nil {
			panic(err)
		}
		leaf, err := ca.Issue("127.0.0.1", "localhost")
		if err != nil {
			panic(err)
		}
		testPKI = pki{ca, leaf}
	})
	return testPKI
}

func (p pki) cert() *tls.Certificate {
	c := p.leaf.TLSCertificate()
	return &c
}

func (p pki) clientTLS() *tls.Config { return &tls.Config{RootCAs: p.ca.Pool()} }

// newTLSServer starts an HTTPS test server with the PKI leaf.
func newTLSServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	s.TLS = &tls.Config{Certificates: []tls.Certificate{getPKI(t).leaf.TLSCertificate()}}
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// client returns an HTTP client using tr whose idle connections are closed
// at cleanup.
func client(t *testing.T, tr *http.Transport) *http.Client {
	t.Helper()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func mustClose(t *testing.T, c io.Closer) {
	t.Helper()
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

// get GETs url with c and returns the status and body.
func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s body: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// echoServer is a TCP echo server on 127.0.0.1 closed at cleanup, which also
// waits for its goroutines.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				io.Copy(c, c)
				c.Close()
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// echoRoundTrip writes msg to c and reads it back.
func echoRoundTrip(c net.Conn, msg []byte) error {
	if _, err := c.Write(msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return fmt.Errorf("echo mismatch")
	}
	return nil
}

// expectClosed reads from c until it fails, requiring that to be EOF or a
// reset (not a timeout), within 5 s.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open: %v", err)
	}
}
