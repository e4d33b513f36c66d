package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/wire"
)

type authUser struct {
	Name  string
	Admin bool
}

// authEcho answers every message with the name in Session.Auth before it.
func authEcho(s *Session) {
	for {
		m, err := s.Receive(s.Context())
		if err != nil {
			return
		}
		name := "nil"
		if u, ok := s.Auth().(*authUser); ok && u != nil {
			name = u.Name
		}
		if s.Send(s.Context(), Message{Data: []byte(name + "|" + string(m.Data))}) != nil {
			return
		}
	}
}

func authByHeader(r *http.Request) (any, error) {
	name := r.Header.Get("X-User")
	if name == "" {
		return nil, errors.New("no X-User")
	}
	return &authUser{Name: name}, nil
}

// TestSharedAuthSurvivesTakeover: the node that started a session shuts
// down; the node that takes it over gives its serve function the Auth the
// session started with (stored through Options.SharedAuth), not what the
// resuming request authenticated as.
func TestSharedAuthSurvivesTakeover(t *testing.T) {
	st := NewMemoryShared()
	var rigs []*rig
	for _, name := range []string{"a", "b"} {
		rigs = append(rigs, newRig(t, authEcho, &Options{Shared: st, Node: name, Authenticate: authByHeader,
			SharedAuth: JSONAuth[*authUser]()}))
	}
	c, _, err := rigs[0].dialWS(http.Header{"X-User": {"alice"}})
	if err != nil {
		t.Fatal(err)
	}
	wsWrite(t, c, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: wire.Version}})
	w := wsRead(t, c)
	sid, key := w.Welcome.SID, w.Welcome.Key
	wsWrite(t, c, text(1, "one"))
	want(t, wsReadData(t, c), wire.KindText, 1, "alice|one")
	wsWrite(t, c, wire.Frame{Kind: wire.KindAck, Seq: 1})
	if rec, _, err := st.Load(t.Context(), sid); err != nil || string(rec.Auth) != `{"Name":"alice","Admin":false}` {
		t.Fatalf("stored auth %q, %v", rec.Auth, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rigs[0].h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != wire.CloseGoingAway {
				t.Fatalf("closed with %v, want 1001", err)
			}
			break
		}
	}
	c.Close()

	c2, _, err := rigs[1].dialWS(http.Header{"X-User": {"mallory"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	wsWrite(t, c2, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: wire.Version, SID: sid, Key: key, Ack: 1}})
	if w := wsRead(t, c2); w.Kind != wire.KindWelcome || !w.Welcome.Resumed {
		t.Fatalf("resume: %+v", w)
	}
	wsWrite(t, c2, text(2, "two"))
	want(t, wsReadData(t, c2), wire.KindText, 2, "alice|two")
}

// TestSharedAuthBounded: an encoded Auth over MaxSharedAuthBytes refuses
// the session (nothing stored), as does an Auth of another type than
// JSONAuth's; one at the bound is kept.
func TestSharedAuthBounded(t *testing.T) {
	st := NewMemoryShared()
	r := newRig(t, authEcho, &Options{Shared: st, Authenticate: authByHeader, SharedAuth: JSONAuth[*authUser]()})
	h := r.h
	over := &authUser{Name: strings.Repeat("x", MaxSharedAuthBytes)}
	if _, err := h.encodeAuth(over); !errors.Is(err, ErrAuthTooLarge) {
		t.Fatalf("encode %d bytes: %v, want ErrAuthTooLarge", len(over.Name), err)
	}
	at := &authUser{Name: strings.Repeat("x", MaxSharedAuthBytes-len(`{"Name":"","Admin":false}`))}
	if b, err := h.encodeAuth(at); err != nil || len(b) != MaxSharedAuthBytes {
		t.Fatalf("encode at the bound: %d bytes, %v", len(b), err)
	}
	if _, err := h.encodeAuth(authUser{Name: "not a pointer"}); err == nil {
		t.Fatal("JSONAuth[*authUser] encoded an authUser")
	}
	if v := h.decodeAuth("s", []byte("{not json")); v != nil {
		t.Fatalf("a bad encoding decoded to %v", v)
	}

	c, _, err := r.dialWS(http.Header{"X-User": {over.Name}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wsWrite(t, c, wire.Frame{Kind: wire.KindHello, Hello: &wire.Hello{V: wire.Version}})
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if mt, b, err := c.ReadMessage(); err == nil {
		f, err := wire.ParseWS(mt == websocket.BinaryMessage, b, 0)
		if err != nil || f.Kind == wire.KindWelcome {
			t.Fatalf("a session with an Auth over the bound: %+v %v", f, err)
		}
		t.Logf("refused: %+v", f)
	}
	st.mu.Lock()
	n := len(st.sessions)
	st.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d sessions stored", n)
	}
}
