//go:build !js

package client

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/wire"
)

// fakeServer is a scripted Tether server for the client's MUST tests
// (must_test.go): a plain HTTP server on 127.0.0.1 that does nothing by
// itself. Each WebSocket (upgraded with tether.v1 selected, unless
// noSubprotocol) is handed to ws; every other request to http. It speaks
// the wire format through internal/wire and shares no code with package
// server, so the client cannot lean on the reference server's leniency.
type fakeServer struct {
	t             *testing.T
	srv           *httptest.Server
	noSubprotocol bool
	ws            func(s *fakeWS)
	http          func(w http.ResponseWriter, r *http.Request)
	front         func(w http.ResponseWriter, r *http.Request) bool // sees every request first; true: handled

	mu   sync.Mutex
	reqs []seenRequest
	wss  chan *fakeWS // every WebSocket, in order, once ws returned or when ws is nil
}

// seenRequest is what the fake server saw of one request.
type seenRequest struct {
	Method string
	Query  url.Values
	Header http.Header
	Body   []byte
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeServer{t: t, wss: make(chan *fakeWS, 16)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// url is the session URL, with an application parameter that must survive.
func (f *fakeServer) url() string { return "ws" + f.srv.URL[len("http"):] + "/rt?room=42" }

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	if f.front != nil && f.front(w, r) {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.mu.Lock()
	f.reqs = append(f.reqs, seenRequest{Method: r.Method, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
	f.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if websocket.IsWebSocketUpgrade(r) {
		up := websocket.Upgrader{}
		if !f.noSubprotocol {
			up.Subprotocols = []string{wire.Subprotocol}
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		s := &fakeWS{t: f.t, c: c, req: r, closeCode: make(chan int, 1)}
		c.SetCloseHandler(func(code int, text string) error {
			s.closeCode <- code
			return nil // no echo: the test decides what the server does
		})
		if f.ws != nil {
			f.ws(s)
		}
		f.wss <- s
		return
	}
	if f.http == nil {
		http.NotFound(w, r)
		return
	}
	f.http(w, r)
}

// requests returns the requests seen so far.
func (f *fakeServer) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.reqs...)
}

// fakeWS is one WebSocket of the fake server.
type fakeWS struct {
	t         *testing.T
	c         *websocket.Conn
	req       *http.Request
	closeCode chan int // the code of the client's close frame

	noCloseAnswer bool // the test answers the client's c itself
}

// read returns the client's next frame; err is the end of the WebSocket
// (the client's close frame is a *websocket.CloseError). A c from the
// client is answered with the fake's own c (section 12) before it is
// returned, unless the test answers itself (noCloseAnswer).
func (s *fakeWS) read() (wire.Frame, error) {
	s.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	mt, msg, err := s.c.ReadMessage()
	if err != nil {
		return wire.Frame{}, err
	}
	f, err := wire.ParseWS(mt == websocket.BinaryMessage, msg, 1<<20)
	if err == nil && f.Kind == wire.KindClose && !s.noCloseAnswer {
		s.send(closeFrame(1000, ""))
	}
	return f, err
}

// must reads the client's next frame and fails the test unless it is of
// kind k.
func (s *fakeWS) must(k wire.Kind) wire.Frame {
	s.t.Helper()
	f, err := s.read()
	if err != nil || f.Kind != k {
		s.t.Errorf("want a %v frame from the client, got %v (%v)", k, f.Kind, err)
	}
	return f
}

// skipTo reads until a frame of kind k (acks and pongs in between are
// fine) and returns it; ok is false when the WebSocket ended first.
func (s *fakeWS) skipTo(k wire.Kind) (wire.Frame, bool) {
	for {
		f, err := s.read()
		if err != nil {
			return f, false
		}
		if f.Kind == k {
			return f, true
		}
	}
}

// send writes frames to the client.
func (s *fakeWS) send(frames ...wire.Frame) {
	s.t.Helper()
	for i := range frames {
		bin, b, err := wire.AppendWS(nil, &frames[i])
		if err != nil {
			s.t.Errorf("AppendWS: %v", err)
			return
		}
		mt := websocket.TextMessage
		if bin {
			mt = websocket.BinaryMessage
		}
		if err := s.c.WriteMessage(mt, b); err != nil {
			s.t.Logf("write to the client: %v", err)
			return
		}
	}
}

// sendRaw writes one text message as is.
func (s *fakeWS) sendRaw(msg string) { s.c.WriteMessage(websocket.TextMessage, []byte(msg)) }

// closeWith sends a WebSocket close frame.
func (s *fakeWS) closeWith(code int, reason string) {
	s.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
}

// clientCloseCode reads until the WebSocket ends and returns the code of
// the client's close frame, or 1006 when it sent none.
func (s *fakeWS) clientCloseCode() int {
	for {
		if _, err := s.read(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			select {
			case code := <-s.closeCode:
				return code
			default:
				return websocket.CloseAbnormalClosure
			}
		}
	}
}

// welcome answers the hello: a welcome for sid (a new session when the
// hello has no sid) with ack, and transports (nil: all three).
func (s *fakeWS) welcome(h wire.Frame, sid string, ack uint64, transports []string) {
	s.t.Helper()
	s.send(welcomeFrame(h.Hello != nil && h.Hello.SID != "", sid, ack, transports))
}

func welcomeFrame(resumed bool, sid string, ack uint64, transports []string) wire.Frame {
	if transports == nil {
		transports = []string{wire.TransportWebSocket, wire.TransportSSE, wire.TransportPoll}
	}
	w := &wire.Welcome{V: 1, SID: sid, Resumed: resumed, Ack: ack, HB: 25000, Timeout: 45000, TTL: 120000,
		Max: 1 << 20, Poll: 25000, Transports: transports}
	if !resumed {
		w.Key = "fakekey0fakekey0fakeky"
	}
	return wire.Frame{Kind: wire.KindWelcome, Welcome: w}
}

// text is a text data frame.
func text(seq uint64, s string) wire.Frame {
	return wire.Frame{Kind: wire.KindText, Seq: seq, Data: []byte(s)}
}

// closeFrame is a c frame.
func closeFrame(code int, reason string) wire.Frame {
	return wire.Frame{Kind: wire.KindClose, Close: &wire.Close{Code: code, Reason: reason}}
}

// writeBatch answers an HTTP request with a JSON batch of frames.
func writeBatch(t *testing.T, w http.ResponseWriter, frames ...wire.Frame) {
	t.Helper()
	b, err := wire.AppendJSONBatch(nil, frames)
	if err != nil {
		t.Errorf("AppendJSONBatch: %v", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// answerSend answers a send: ["a",ack], and the fake's own c when the
// body carries the client's c (section 12).
func answerSend(t *testing.T, w http.ResponseWriter, r *http.Request, ack uint64) {
	t.Helper()
	body, _ := io.ReadAll(r.Body)
	frames := []wire.Frame{{Kind: wire.KindAck, Seq: ack}}
	if bytes.Contains(body, []byte(`["c",`)) {
		frames = append(frames, closeFrame(1000, ""))
	}
	writeBatch(t, w, frames...)
}

// writeError answers an HTTP error object; retry > 0 adds Retry-After.
func writeError(w http.ResponseWriter, status int, code string, retry time.Duration) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	body := `{"code":"` + code + `","message":"scripted","status":` + strconv.Itoa(status)
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
		body += `,"retry":` + strconv.FormatInt(retry.Milliseconds(), 10)
	}
	w.WriteHeader(status)
	io.WriteString(w, body+"}")
}

// sseEvent writes one SSE event carrying frame f, and flushes.
func sseEvent(t *testing.T, w http.ResponseWriter, f wire.Frame) {
	t.Helper()
	b, err := wire.AppendJSON(nil, &f)
	if err != nil {
		t.Errorf("AppendJSON: %v", err)
	}
	if f.Kind == wire.KindText || f.Kind == wire.KindBinary {
		io.WriteString(w, "id: "+strconv.FormatUint(f.Seq, 10)+"\n")
	}
	io.WriteString(w, "data: "+string(b)+"\n\n")
	w.(http.Flusher).Flush()
}

// sseStart starts an SSE answer.
func sseStart(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
}
