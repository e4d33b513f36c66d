package redisstore

import (
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/tether-sdk/tether/server"
)

// These tests need no Redis; the store's behavior against a real one is in
// redis_test.go (build tag redis, `make redis-test`).

func TestKeysShareTheSessionHashTag(t *testing.T) {
	st := New(nil, nil)
	for _, k := range append(st.keys("abc"), st.key("abc", "l"), st.key("abc", "w")) {
		if want := "tether:{abc}:"; len(k) <= len(want) || k[:len(want)] != want {
			t.Errorf("key %q lacks the prefix and hash tag %q", k, want)
		}
	}
	if k := New(nil, &Options{Prefix: "app1:"}).key("abc", "m"); k != "app1:{abc}:m" {
		t.Errorf("prefixed key: %q", k)
	}
}

func TestValidID(t *testing.T) {
	for _, id := range []string{"", "a{b", "a}b", "a b", "é", string(make([]byte, 129))} {
		if validID(id) {
			t.Errorf("validID(%q) = true", id)
		}
	}
	if !validID("AZaz09-_") {
		t.Error("a base64url id is refused")
	}
}

func TestOpenBadURL(t *testing.T) {
	_, err := Open(t.Context(), "http://localhost:6379", nil)
	if !errors.Is(err, ErrBadURL) {
		t.Fatalf("got %v, want ErrBadURL", err)
	}
}

// TestOpenUnreachable: a Redis that does not answer is a clear error that
// wraps server.ErrStoreUnavailable and names the address.
func TestOpenUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, err = Open(t.Context(), "redis://"+addr+"/0", nil)
	if !errors.Is(err, server.ErrStoreUnavailable) {
		t.Fatalf("got %v, want ErrStoreUnavailable", err)
	}
	t.Log(err)
}

func TestParseClusterURL(t *testing.T) {
	co, err := parseClusterURL("rediss", "u:p@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002/0?dial_timeout=3s")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"10.0.0.1:7000", "10.0.0.2:7001", "[::1]:7002"}; !slices.Equal(co.Addrs, want) {
		t.Errorf("addrs %v, want %v", co.Addrs, want)
	}
	if co.Username != "u" || co.Password != "p" || co.TLSConfig == nil || co.DialTimeout != 3*time.Second {
		t.Errorf("options: user %q password %q TLS %v dial timeout %v", co.Username, co.Password, co.TLSConfig != nil, co.DialTimeout)
	}
	for _, bad := range []string{"redis+cluster://a:1,b:2/3", "redis+cluster://a:1,,b:2", "http+cluster://a:1"} {
		if _, err := Open(t.Context(), bad, nil); !errors.Is(err, ErrBadURL) {
			t.Errorf("%s: got %v, want ErrBadURL", bad, err)
		}
	}
}
