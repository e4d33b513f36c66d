package rig

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"time"

	coder "github.com/coder/websocket"
	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/client"
	"github.com/tether-sdk/tether/transport"
)

// Libraries under test, client side.
const (
	LibTether    = "tether"     // session mode (Options.Transports picks the transport)
	LibTetherRaw = "tether-raw" // Options.Raw against a plain WebSocket server
	LibGorilla   = "gorilla"    // gorilla/websocket, ReadMessage/WriteMessage
	LibCoder     = "coder"      // coder/websocket, Read/Write
)

// Conn is one client connection of any library: messages out and in, in
// order. Send sends binary messages (text with DialOptions.Text); Recv
// returns a message the caller may keep.
type Conn interface {
	Send(p []byte) error
	Recv() ([]byte, error)
	Close() error
	// Transport is the transport in use ("websocket", "sse", "longpoll").
	Transport() string
	// TLS is the connection's TLS state, when the library exposes it.
	TLS() *tls.ConnectionState
}

// DialOptions select what Dial connects with.
type DialOptions struct {
	Lib       string
	Transport string // tether session mode: "websocket", "sse", "longpoll"; "" = Tether's default order
	Pool      *x509.CertPool
	Text      bool // send text messages (binary otherwise)
	// Tether tunes client.Options before the dial (nil: none).
	Tether func(*client.Options)
}

// Dial connects to url (wss:// or https:// for Tether fallbacks).
func Dial(ctx context.Context, url string, o DialOptions) (Conn, error) {
	switch o.Lib {
	case LibTether, LibTetherRaw:
		co := TetherOptions(o.Pool)
		if o.Lib == LibTetherRaw {
			co.Raw = true
		} else if o.Transport != "" {
			co.Transports = []string{o.Transport}
		}
		if o.Tether != nil {
			o.Tether(co)
		}
		c, err := client.Dial(ctx, url, co)
		if err != nil {
			return nil, err
		}
		return &tetherConn{c: c, binary: !o.Text}, nil
	case LibGorilla:
		d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: o.Pool}, HandshakeTimeout: 15 * time.Second}
		c, _, err := d.DialContext(ctx, url, nil)
		if err != nil {
			return nil, err
		}
		c.SetReadLimit(32 << 20)
		mt := websocket.BinaryMessage
		if o.Text {
			mt = websocket.TextMessage
		}
		return &gorillaConn{c: c, mt: mt}, nil
	case LibCoder:
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: o.Pool}}}
		c, _, err := coder.Dial(ctx, url, &coder.DialOptions{HTTPClient: hc})
		if err != nil {
			return nil, err
		}
		c.SetReadLimit(32 << 20)
		mt := coder.MessageBinary
		if o.Text {
			mt = coder.MessageText
		}
		return &coderConn{c: c, mt: mt}, nil
	}
	return nil, fmt.Errorf("rig: unknown library %q", o.Lib)
}

// TetherOptions are the client options every Tether row uses: the bench CA,
// and no probing back to WebSocket (a fallback row must stay on its
// transport).
func TetherOptions(pool *x509.CertPool) *client.Options {
	return &client.Options{
		Dial:          &transport.Config{RootCAs: pool},
		ProbeInterval: -1,
	}
}

type tetherConn struct {
	c      *client.Client
	binary bool
}

func (t *tetherConn) Send(p []byte) error {
	return t.c.Send(context.Background(), client.Message{Binary: t.binary, Data: p})
}
func (t *tetherConn) Recv() ([]byte, error) {
	m, err := t.c.Receive(context.Background())
	return m.Data, err
}
func (t *tetherConn) Close() error              { return t.c.Close(context.Background()) }
func (t *tetherConn) Transport() string         { return t.c.Transport() }
func (t *tetherConn) TLS() *tls.ConnectionState { return nil }

// Client returns the Tether client behind a Conn, nil for other libraries.
func Client(c Conn) *client.Client {
	if t, ok := c.(*tetherConn); ok {
		return t.c
	}
	return nil
}

type gorillaConn struct {
	c  *websocket.Conn
	mt int
}

func (g *gorillaConn) Send(p []byte) error { return g.c.WriteMessage(g.mt, p) }
func (g *gorillaConn) Recv() ([]byte, error) {
	_, b, err := g.c.ReadMessage()
	return b, err
}
func (g *gorillaConn) Close() error      { return g.c.Close() }
func (g *gorillaConn) Transport() string { return "websocket" }
func (g *gorillaConn) TLS() *tls.ConnectionState {
	if tc, ok := g.c.UnderlyingConn().(*tls.Conn); ok {
		s := tc.ConnectionState()
		return &s
	}
	return nil
}

type coderConn struct {
	c  *coder.Conn
	mt coder.MessageType
}

func (k *coderConn) Send(p []byte) error { return k.c.Write(context.Background(), k.mt, p) }
func (k *coderConn) Recv() ([]byte, error) {
	_, b, err := k.c.Read(context.Background())
	return b, err
}
func (k *coderConn) Close() error              { return k.c.CloseNow() }
func (k *coderConn) Transport() string         { return "websocket" }
func (k *coderConn) TLS() *tls.ConnectionState { return nil }
