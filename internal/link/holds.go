package link

import (
	"sync"
	"time"
)

// PollHolds keeps what a client's long-poll links learned about the holds
// the way to the server lets through (the adaptive hold, PROTOCOL.md 9.3),
// so that the client's next long-poll link (after a reconnect, or a switch
// back to long-polling) starts from it rather than from the server's poll
// and does not pay the proxy's cuts again. One belongs to a client (its
// one endpoint); package fallback reads it when a link attaches and
// updates it as the link learns. The zero value holds nothing learned. It
// is safe for concurrent use.
type PollHolds struct {
	mu  sync.Mutex
	s   HoldState
	set bool
}

// HoldState is what a long-poll link learned (package fallback's adaptive
// hold, in its terms).
type HoldState struct {
	Hold  time.Duration // the hold the next poll asks for
	Cut   time.Duration // the age at which the last poll was cut; 0: none (or forgotten)
	Firm  bool          // a second cut confirmed the proxy's timeout: no more probes above it
	AtTop int           // polls in a row held to their end at the bound learnt from Cut
}

// Load returns the state last stored, and false when none was (or it was
// forgotten).
func (p *PollHolds) Load() (HoldState, bool) {
	if p == nil {
		return HoldState{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.s, p.set
}

// Store keeps s for the client's next long-poll link. A nil p keeps nothing.
func (p *PollHolds) Store(s HoldState) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s, p.set = s, true
}

// Forget drops what was learned: the device moved to another network,
// whose proxies (if any) are not those the holds were learned behind.
func (p *PollHolds) Forget() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s, p.set = HoldState{}, false
}
