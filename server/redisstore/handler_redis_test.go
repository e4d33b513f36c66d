//go:build redis

package redisstore

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tether-sdk/tether/internal/redistest"
	"github.com/tether-sdk/tether/internal/testkit/testserver"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/server"
)

// echo sends every message back (the test kit's echo handler).
var echo = testserver.Echo

// node is a Handler on the Redis at addr, behind an httptest server.
func node(t *testing.T, addr, name string, hooks ...redis.Hook) string {
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	for _, h := range hooks {
		rdb.AddHook(h)
	}
	return nodeOn(t, New(rdb, nil), name)
}

// nodeOn is a Handler on st (closed with it), behind an httptest server.
func nodeOn(t *testing.T, st *Store, name string) string {
	rdb := st.Client()
	h := server.NewHandler(echo, &server.Options{Shared: st, Node: name, PollHold: 300 * time.Millisecond})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.Shutdown(ctx)
		srv.Close()
		st.Close()
		rdb.Close()
	})
	return srv.URL
}

func call(t *testing.T, method, base string, q url.Values, key string, frames ...wire.Frame) (int, []wire.Frame, wire.Error) {
	t.Helper()
	q.Set(wire.ParamVersion, "1")
	var body io.Reader
	if frames != nil {
		b, _ := wire.AppendJSONBatch(nil, frames)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+"/?"+q.Encode(), body)
	if key != "" {
		req.Header.Set(wire.HeaderKey, key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		var e wire.Error
		json.Unmarshal(b, &e)
		return resp.StatusCode, nil, e
	}
	fr, err := wire.ParseJSONBatch(b, 0, 0)
	if err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return 200, fr, wire.Error{}
}

// TestHandlersOnRedis: two Handlers on one real Redis serve one
// long-polling session alternately; then Redis goes away (sends answer a
// retryable 503, not a lost session) and comes back empty, as a Redis
// without persistence does: the session is gone and the client is told so
// (410 session_not_found, which it reports as a SessionLostEvent).
func TestHandlersOnRedis(t *testing.T) {
	rs := redistest.Start(t, "")
	nodes := []string{node(t, rs.Addr, "a"), node(t, rs.Addr, "b")}
	code, fr, e := call(t, "GET", nodes[0], url.Values{wire.ParamMode: {wire.ModePollOpen}}, "")
	if code != 200 {
		t.Fatalf("open: %d %+v", code, e)
	}
	sid, key := fr[0].Welcome.SID, fr[0].Welcome.Key
	sendQ := url.Values{wire.ParamMode: {wire.ModeSend}, wire.ParamSID: {sid}}
	for i := 1; i <= 10; i++ {
		if code, _, e := call(t, "POST", nodes[i%2], sendQ, key, wire.Frame{Kind: wire.KindText, Seq: uint64(i), Data: []byte(strconv.Itoa(i))}); code != 200 {
			t.Fatalf("send %d: %d %+v", i, code, e)
		}
	}
	ack := uint64(0)
	for tries := 0; ack < 10 && tries < 100; tries++ {
		pollQ := url.Values{wire.ParamMode: {wire.ModePoll}, wire.ParamSID: {sid}, wire.ParamAck: {strconv.FormatUint(ack, 10)}}
		code, fr, e := call(t, "GET", nodes[tries%2], pollQ, key)
		if code != 200 {
			t.Fatalf("poll: %d %+v", code, e)
		}
		for _, f := range fr {
			if f.Kind == wire.KindText {
				if f.Seq != ack+1 || string(f.Data) != strconv.FormatUint(f.Seq, 10) {
					t.Fatalf("got %d %q after %d", f.Seq, f.Data, ack)
				}
				ack = f.Seq
			}
		}
	}
	if ack != 10 {
		t.Fatalf("got %d of 10 echoes", ack)
	}

	rs.Stop()
	code, _, e = call(t, "POST", nodes[1], sendQ, key, wire.Frame{Kind: wire.KindText, Seq: 11, Data: []byte("11")})
	if code != 503 || e.Code != wire.CodeInternal || e.Retry == 0 {
		t.Fatalf("send with Redis down: %d %+v, want 503 internal with a retry", code, e)
	}
	redistest.Start(t, rs.Port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, _, e = call(t, "POST", nodes[0], sendQ, key, wire.Frame{Kind: wire.KindText, Seq: 11, Data: []byte("11")})
		if code != 503 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code != 410 || e.Code != wire.CodeSessionNotFound {
		t.Fatalf("send after Redis came back empty: %d %+v, want 410 session_not_found", code, e)
	}
}

// TestMirrorHoldsEveryUnackedMessage: a node that mirrors a session whose
// unacknowledged messages to the client are more than one store reply
// holds (512 entries) still has them all, so a client resuming there with
// an ack past the first reply is served, not refused as a protocol error.
func TestMirrorHoldsEveryUnackedMessage(t *testing.T) {
	rs := redistest.Start(t, "")
	st, _ := newStore(t, rs.Addr)
	ctx := t.Context()
	sid, key := "bWlycm9yLXRlc3Q", "a2V5a2V5a2V5a2V5"
	if err := st.Create(ctx, server.SessionRecord{ID: sid, Key: key, Established: true}, time.Hour); err != nil {
		t.Fatal(err)
	}
	l, err := st.Acquire(ctx, sid, "elsewhere", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3 * readCount / 2
	for i := range n {
		if _, _, err := st.Append(ctx, sid, server.ToClient, server.StoredMessage{Data: []byte("m" + strconv.Itoa(i+1))},
			server.AppendOptions{MaxBytes: 1 << 20, Fence: l.Token}); err != nil {
			t.Fatal(err)
		}
	}
	b := node(t, rs.Addr, "b")
	pollQ := url.Values{wire.ParamMode: {wire.ModePoll}, wire.ParamSID: {sid}, wire.ParamAck: {strconv.Itoa(n - 1)}}
	code, fr, e := call(t, "GET", b, pollQ, key)
	if code != 200 {
		t.Fatalf("resume with ack %d of %d stored: %d %+v", n-1, n, code, e)
	}
	if len(fr) == 0 || fr[0].Seq != n || string(fr[0].Data) != "m"+strconv.Itoa(n) {
		t.Fatalf("got %+v, want message %d", fr, n)
	}
}
