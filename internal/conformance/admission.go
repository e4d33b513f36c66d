package conformance

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// A server may limit how fast one address starts sessions (13:
// too_many_sessions, with Retry-After or retry). The checks start many, so
// they do what a client does: wait as told, then try again.

// maxAdmissionWait bounds one wait for a too_many_sessions answer.
const maxAdmissionWait = 10 * time.Second

// refusedNew is a too_many_sessions answer: try again after retry.
type refusedNew struct{ retry time.Duration }

func (r *refusedNew) Error() string {
	return fmt.Sprintf("too_many_sessions (retry after %v)", r.retry)
}

// httpRefusal returns a *refusedNew for a 429 too_many_sessions answer.
func httpRefusal(a *answer) error {
	if a.resp.StatusCode != http.StatusTooManyRequests {
		return nil
	}
	we, err := parseErrorBody(a.body)
	if err != nil || we.Code != wire.CodeTooManySessions {
		return nil
	}
	retry := time.Duration(we.Retry) * time.Millisecond
	if s, err := strconv.Atoi(a.resp.Header.Get("Retry-After")); err == nil && time.Duration(s)*time.Second > retry {
		retry = time.Duration(s) * time.Second
	}
	return &refusedNew{retry: retry}
}

// admitted runs start until the server stops refusing it with
// too_many_sessions, waiting as told in between (at least 50 ms, at most
// maxAdmissionWait each time), for as long as ctx allows.
func admitted[T any](ctx context.Context, start func() (T, error)) (T, error) {
	for {
		v, err := start()
		r, ok := err.(*refusedNew)
		if !ok {
			return v, err
		}
		wait := min(max(r.retry, 50*time.Millisecond), maxAdmissionWait)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return v, fmt.Errorf("the server kept refusing new sessions: %w", err)
		}
	}
}
