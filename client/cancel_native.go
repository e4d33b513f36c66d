//go:build !js

package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/tether-sdk/tether/internal/wire"
)

// CancelAttempt asks the server to end the session a new-session attempt
// made (PROTOCOL.md 4.8): POST ?tether=cancel&tether_v=1&tether_attempt=A
// on the target's URL, through the HTTP links' client (same proxy, TLS and
// pins). It carries no application headers: the attempt id is its only
// credential. A server without 4.8 answers 400: an error, which the caller
// only logs (the session then expires after its ttl).
func (r *registeredLinks) CancelAttempt(ctx context.Context, attempt string) error {
	u := *r.d.Target().HTTP
	q := u.Query()
	q.Set(wire.ParamMode, wire.ModeCancel)
	q.Set(wire.ParamVersion, strconv.Itoa(wire.Version))
	q.Set(wire.ParamAttempt, attempt)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return err
	}
	if r.o.Dial != nil && r.o.Dial.Origin != "" {
		req.Header.Set("Origin", r.o.Dial.Origin)
	}
	resp, err := r.d.HTTPClient().Do(req)
	if err != nil {
		return fmt.Errorf("tether: cancelling an attempt: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("tether: cancelling an attempt: the server answered %s", resp.Status)
	}
	return nil
}
