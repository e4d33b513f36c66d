// Package bad is a fixture of apicheck's test: every exported identifier
// below leaks a forbidden type; the unexported ones do not count.
package bad

import (
	"github.com/gorilla/websocket"
	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// Plain data: an untyped constant is fine.
const Name = wire.TransportSSE

// A typed constant of an internal type is a leak.
const Text = wire.KindText

func Dial() (*websocket.Conn, error) { return nil, nil }

type Options struct {
	Hidden link.Attach // exported field: a leak
	inner  link.Attach
}

type T struct{}

func (T) Attach() link.Attach { return link.Attach{} }

func (t T) ok() link.Attach { return t.ok() }

type Dialer interface {
	DialLink() link.Link
}

var Default = link.Attach{}

func unexported() link.Link { return nil }
