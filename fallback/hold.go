package fallback

import (
	"errors"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// The adaptive long-poll hold (PROTOCOL.md 9.3). A proxy that cuts idle
// requests sooner than the server holds a poll (nginx's proxy_read_timeout,
// a load balancer's idle timeout) would otherwise cut every idle poll: the
// client asks for shorter holds (tether_hold) once one is cut, and longer
// ones again while they survive.
const (
	// holdFloor is the shortest hold the client asks for (or the server's
	// poll, when shorter). A poll cut sooner than that teaches nothing:
	// no proxy cuts idle requests that soon, and it is a network failure.
	holdFloor = time.Second
	// holdProbeAfter is how many polls in a row must survive at the bound
	// learnt from a cut before the client asks for more than that bound
	// (the proxy may be gone). A second cut confirms the proxy's timeout:
	// the client then no longer probes.
	holdProbeAfter = 8
)

// adaptiveHold is the hold a long-poll link asks for. It is used by one
// poll at a time (the link's poll goroutines follow each other).
//
// It starts at the server's poll. When an idle poll is cut after it lived
// for t (t >= holdFloor, t shorter than the hold it asked for), the hold
// becomes t/2 and t is remembered; each poll held to its end then lengthens
// the hold by half, up to 3/4 of t (never above the server's poll). After
// holdProbeAfter polls at that bound, t is raised by half (a probe, the
// proxy may be gone), and again after as many more, until the hold is back
// at the server's poll; a second cut makes t firm: no more probes. A proxy
// that cuts at 3 s thus costs two cut polls, then none.
//
// What it learns belongs to the client, not to the link: with mem (the
// client's, link.Env.PollHolds) it starts from what the client's earlier
// long-poll links learned and stores every change there, so that a
// reconnect or a later switch to long-polling costs no cut polls again.
type adaptiveHold struct {
	max   time.Duration   // the server's poll: the longest hold it grants
	cur   time.Duration   // the hold the next poll asks for
	cut   time.Duration   // the age at which the last poll was cut; 0: none (or forgotten)
	firm  bool            // a second cut confirmed the proxy's timeout: no more probes
	atTop int             // polls in a row that survived at the bound
	mem   *link.PollHolds // the client's; nil: what the link learns is its own
}

// newAdaptiveHold returns the hold of a link whose server holds polls up
// to poll, starting from what mem keeps (nil: from poll).
func newAdaptiveHold(poll time.Duration, mem *link.PollHolds) *adaptiveHold {
	h := &adaptiveHold{max: poll, cur: poll, mem: mem}
	s, ok := mem.Load()
	if !ok || s.Cut == 0 || s.Cut*3/4 >= poll {
		return h // nothing learned, or nothing this server's poll goes beyond
	}
	h.cut, h.firm, h.atTop = s.Cut, s.Firm, s.AtTop
	h.cur = min(max(s.Hold, h.floor()), h.bound())
	return h
}

// learned reports whether the hold starts from what an earlier link learned.
func (h *adaptiveHold) learned() bool { return h.cut > 0 }

// save keeps the hold's state for the client's next link.
func (h *adaptiveHold) save() {
	h.mem.Store(link.HoldState{Hold: h.cur, Cut: h.cut, Firm: h.firm, AtTop: h.atTop})
}

// next is the hold the next poll asks for.
func (h *adaptiveHold) next() time.Duration { return h.cur }

func (h *adaptiveHold) floor() time.Duration { return min(holdFloor, h.max) }

// bound is the longest hold the client asks for now: the server's poll,
// or 3/4 of the age at which a poll was cut.
func (h *adaptiveHold) bound() time.Duration {
	if h.cut == 0 {
		return h.max
	}
	return max(h.floor(), min(h.max, h.cut*3/4))
}

// cutAfter records that a poll that asked for asked was cut, with no
// answer, after it lived for lived. It reports whether the hold changed:
// a cut after the hold ran out, or sooner than holdFloor, teaches nothing.
func (h *adaptiveHold) cutAfter(asked, lived time.Duration) bool {
	if lived >= asked || lived < h.floor() {
		return false
	}
	if h.cut > 0 {
		h.firm = true // a second cut: the proxy is there to stay
	}
	h.cut = lived
	h.cur = max(h.floor(), min(h.max, lived/2))
	h.atTop = 0
	h.save()
	return true
}

// heldOut records that a poll was held to its end and answered empty: the
// hold it asked for survives the way to the server.
func (h *adaptiveHold) heldOut() {
	defer h.save()
	b := h.bound()
	if h.cur < b {
		h.cur = min(b, h.cur*3/2)
		return
	}
	h.cur = b
	if h.cut == 0 || h.firm {
		return
	}
	if h.atTop++; h.atTop < holdProbeAfter {
		return
	}
	h.atTop = 0
	h.cut = h.cut * 3 / 2
	if h.cut*3/4 >= h.max {
		h.cut = 0 // far enough: back to the server's poll
	}
	h.cur = h.bound()
}

// isCut reports whether a poll's failure is a cut of the way to the
// server: a 502 or 504 from a proxy, or the connection failing with no
// answer (reset, closed). Answers of the server (other statuses, error
// frames), oversized or malformed answers and the link's end are not.
func isCut(err error) bool {
	var he *transport.HandshakeError
	if errors.As(err, &he) {
		return he.StatusCode == 502 || he.StatusCode == 504
	}
	var se *link.ServerError
	var le *transport.LimitError
	switch {
	case errors.As(err, &se), errors.As(err, &le), errors.Is(err, wire.ErrMalformed), errors.Is(err, wire.ErrTooLarge):
		return false
	}
	return transport.Classify(err) == transport.ClassNetwork
}
