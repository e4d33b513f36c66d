package link

import (
	"context"
	"sync"
	"time"

	"github.com/tether-sdk/tether/internal/xfmt"
)

// Env is what the client gives a link dialer: its platform's transport
// dialer and the settings links act on. It is read, never modified.
type Env struct {
	// Dialer is the transport's dialer for the session's target: a
	// *transport.Dialer (package link sits below transport, so it cannot
	// name the type; each link dialer asserts it).
	Dialer any

	// Header is sent with the attach and, on HTTP links, every request (a
	// browser WebSocket cannot send headers).
	Header map[string][]string

	MaxMessage      int           // bound of a data payload, in bytes (> 0)
	FirstEventWait  time.Duration // SSE: how long the welcome event may take (> 0)
	ConnectTimeout  time.Duration // the bound of one attach (> 0)
	Compression     bool          // WebSocket: offer permessage-deflate (native only)
	Raw             bool          // WebSocket: a plain WebSocket, no session (native only)
	RawPingInterval time.Duration // WebSocket, raw mode: ping interval (> 0 when Raw)
	Logger          Logger        // never nil

	// PollHolds is what the client's long-poll links learned about the
	// holds the way to the server lets through, shared by all of them
	// (a long-poll link starts from it and updates it). Nil: each link
	// starts from the server's poll and what it learns is lost with it.
	PollHolds *PollHolds
}

// DialFunc attaches one link of a transport to a session. Errors that are
// the server's answer are *ServerError; a server that does not speak the
// protocol gives a *ProtocolError.
type DialFunc func(ctx context.Context, e *Env, a Attach) (Link, error)

var (
	regMu    sync.RWMutex
	registry = map[string]DialFunc{}
	patience = map[string]func(*Env) time.Duration{}
)

// Register makes f the dialer of the transport named name (a wire
// transport name). The packages holding the links register them in init:
// transport (WebSocket) and fallback (SSE, long-polling), each with its
// native and its browser implementation. Registering a name twice panics:
// it is a build mistake, not an input.
func Register(name string, f DialFunc) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("link: transport " + name + " registered twice")
	}
	registry[name] = f
}

// Dial attaches a link of the named transport.
func Dial(ctx context.Context, name string, e *Env, a Attach) (Link, error) {
	regMu.RLock()
	f := registry[name]
	regMu.RUnlock()
	if f == nil {
		return nil, xfmt.Errorf("tether: transport %q is not linked into this program", name)
	}
	return f(ctx, e, a)
}

// RegisterPatience says how long an attach of the named transport may stay
// silent beyond the client's slow timeout before the next transport starts
// in parallel: an SSE attach bounds its own wait for the first event and
// gives way when it runs out, so the client must not cut that window short.
func RegisterPatience(name string, f func(*Env) time.Duration) {
	regMu.Lock()
	defer regMu.Unlock()
	patience[name] = f
}

// Patience is the registered patience of the named transport, 0 when none.
func Patience(name string, e *Env) time.Duration {
	regMu.RLock()
	f := patience[name]
	regMu.RUnlock()
	if f == nil {
		return 0
	}
	return f(e)
}

// ProtocolError reports a server that broke the protocol (or does not speak
// it); the client turns it into its public ProtocolError.
type ProtocolError struct {
	Reason string
	Err    error
}

func (e *ProtocolError) Error() string {
	if e.Err != nil {
		return "tether: protocol error: " + e.Reason + ": " + e.Err.Error()
	}
	return "tether: protocol error: " + e.Reason
}

func (e *ProtocolError) Unwrap() error { return e.Err }
