package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/certs"
	"github.com/tether-sdk/tether/internal/sse"
	"github.com/tether-sdk/tether/internal/wire"
)

// rig is a Handler behind an httptest TLS server.
type rig struct {
	t      testing.TB
	h      *Handler
	srv    *httptest.Server
	client *http.Client
	pool   *tls.Config
}

func newRig(t testing.TB, serve func(*Session), o *Options) *rig {
	t.Helper()
	ca, err := certs.NewCA("server test")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(serve, o)
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}}
	srv.StartTLS()
	ctls := &tls.Config{RootCAs: ca.Pool()}
	r := &rig{t: t, h: h, srv: srv, pool: ctls,
		client: &http.Client{Transport: &http.Transport{TLSClientConfig: ctls}}}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.Shutdown(ctx)
		srv.Close()
		r.client.CloseIdleConnections()
	})
	return r
}

// echo is a serve function that sends every message back.
func echo(s *Session) {
	for {
		m, err := s.Receive(s.Context())
		if err != nil {
			return
		}
		if s.Send(s.Context(), m) != nil {
			return
		}
	}
}

func (r *rig) url(q url.Values) string {
	return r.srv.URL + "/live?" + q.Encode()
}

// dialWS opens a raw WebSocket with the tether subprotocol.
func (r *rig) dialWS(header http.Header) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{TLSClientConfig: r.pool, Subprotocols: []string{wire.Subprotocol}}
	return d.Dial("wss"+r.srv.URL[len("https"):]+"/live", header)
}

func wsWrite(t testing.TB, c *websocket.Conn, f wire.Frame) {
	t.Helper()
	bin, b, err := wire.AppendWS(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	mt := websocket.TextMessage
	if bin {
		mt = websocket.BinaryMessage
	}
	if err := c.WriteMessage(mt, b); err != nil {
		t.Fatal(err)
	}
}

func wsRead(t testing.TB, c *websocket.Conn) wire.Frame {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	mt, msg, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("ws read: %v", err)
	}
	f, err := wire.ParseWS(mt == websocket.BinaryMessage, msg, 0)
	if err != nil {
		t.Fatalf("ws parse %q: %v", msg, err)
	}
	return f
}

// wsReadData reads frames until a data frame, skipping acks and pings.
func wsReadData(t testing.TB, c *websocket.Conn) wire.Frame {
	t.Helper()
	for {
		f := wsRead(t, c)
		switch f.Kind {
		case wire.KindAck, wire.KindPing, wire.KindPong:
			continue
		}
		return f
	}
}

func text(seq uint64, s string) wire.Frame {
	return wire.Frame{Kind: wire.KindText, Seq: seq, Data: []byte(s)}
}

// get issues a GET with the key header and decodes a JSON batch answer.
func (r *rig) get(q url.Values, key string) (int, []wire.Frame, wire.Error) {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.url(q), nil)
	if key != "" {
		req.Header.Set(wire.HeaderKey, key)
	}
	return r.do(req)
}

func (r *rig) post(q url.Values, key string, frames ...wire.Frame) (int, []wire.Frame, wire.Error) {
	r.t.Helper()
	body, err := wire.AppendJSONBatch(nil, frames)
	if err != nil {
		r.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, r.url(q), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(wire.HeaderKey, key)
	}
	return r.do(req)
}

func (r *rig) do(req *http.Request) (int, []wire.Frame, wire.Error) {
	r.t.Helper()
	resp, err := r.client.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		var e wire.Error
		if err := json.Unmarshal(body, &e); err != nil {
			r.t.Fatalf("status %d with a body that is not an error object: %q", resp.StatusCode, body)
		}
		return resp.StatusCode, nil, e
	}
	frames, err := wire.ParseJSONBatch(body, 0, 0)
	if err != nil {
		r.t.Fatalf("answer %q: %v", body, err)
	}
	return 200, frames, wire.Error{}
}

func q(kv ...string) url.Values {
	v := url.Values{wire.ParamVersion: {"1"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// sseStream is an open SSE response.
type sseStream struct {
	resp *http.Response
	rd   *sse.Reader
}

func (r *rig) openSSE(q url.Values, key string) (*sseStream, int) {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.url(q), nil)
	req.Header.Set("Accept", "text/event-stream")
	if key != "" {
		req.Header.Set(wire.HeaderKey, key)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		resp.Body.Close()
		return nil, resp.StatusCode
	}
	r.t.Cleanup(func() { resp.Body.Close() })
	return &sseStream{resp: resp, rd: sse.NewReader(resp.Body, nil)}, 200
}

func (s *sseStream) next(t *testing.T) wire.Frame {
	t.Helper()
	ev, err := s.rd.Next()
	if err != nil {
		t.Fatalf("sse: %v", err)
	}
	f, err := wire.ParseJSON([]byte(ev.Data), 0)
	if err != nil {
		t.Fatalf("sse event %q: %v", ev.Data, err)
	}
	if (f.Kind == wire.KindText || f.Kind == wire.KindBinary) && ev.ID != strconv.FormatUint(f.Seq, 10) {
		t.Fatalf("event id %q for seq %d", ev.ID, f.Seq)
	}
	return f
}

func (s *sseStream) nextData(t *testing.T) wire.Frame {
	t.Helper()
	for {
		f := s.next(t)
		if f.Kind == wire.KindAck || f.Kind == wire.KindPing {
			continue
		}
		return f
	}
}

func want(t *testing.T, f wire.Frame, kind wire.Kind, seq uint64, data string) {
	t.Helper()
	if f.Kind != kind || f.Seq != seq || string(f.Data) != data {
		t.Fatalf("got %s seq %d %q, want %s seq %d %q", f.Kind, f.Seq, f.Data, kind, seq, data)
	}
}

func msgs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("m%04d", i+1)
	}
	return out
}

func stringsReader(s string) *bytes.Reader { return bytes.NewReader([]byte(s)) }
