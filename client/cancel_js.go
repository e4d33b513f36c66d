//go:build js

package client

import (
	"context"
	"errors"
	"strconv"
	"syscall/js"

	"github.com/tether-sdk/tether/internal/jsutil"
	"github.com/tether-sdk/tether/internal/urlx"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// CancelAttempt asks the server to end the session a new-session attempt
// made (PROTOCOL.md 4.8): POST ?tether=cancel&tether_v=1&tether_attempt=A
// with the browser's fetch. It carries no application headers: the attempt
// id is its only credential. A server without 4.8 answers 400: an error,
// which the caller only logs.
func (r *registeredLinks) CancelAttempt(ctx context.Context, attempt string) error {
	u := *r.d.Target().HTTP
	u.RawQuery = transport.AppendQuery(transport.AppendQuery(transport.AppendQuery(u.RawQuery,
		wire.ParamMode, wire.ModeCancel), wire.ParamVersion, strconv.Itoa(wire.Version)), wire.ParamAttempt, urlx.QueryEscape(attempt))
	init := js.ValueOf(map[string]any{"method": "POST", "cache": "no-store", "credentials": "same-origin", "keepalive": true})
	resp, err := jsutil.Await(ctx, js.Global().Call("fetch", u.String(), init))
	if err != nil {
		return errors.New("tether: cancelling an attempt: " + err.Error())
	}
	if st := resp.Get("status").Int(); st != 204 {
		return errors.New("tether: cancelling an attempt: the server answered " + strconv.Itoa(st))
	}
	return nil
}
