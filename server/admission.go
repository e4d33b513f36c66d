package server

import (
	"net/netip"
	"sync"
	"time"
)

// admission bounds the sessions each client address may hold and start per
// second (Options.MaxSessionsPerAddr, Options.NewSessionRate), so that one
// address cannot take every session of the server.
type admission struct {
	perAddr int     // negative: no bound
	rate    float64 // negative: no bound
	burst   float64

	mu    sync.Mutex
	addrs map[netip.Prefix]*addrState
	swept time.Time
}

type addrState struct {
	sessions int
	starts   bucket
}

func newAdmission(o *Options) *admission {
	return &admission{perAddr: o.MaxSessionsPerAddr, rate: o.NewSessionRate,
		burst: max(1, 2*o.NewSessionRate), addrs: map[netip.Prefix]*addrState{}}
}

// admit counts a new session for key, or reports how long to wait when the
// address is over its bounds. A granted admission is returned with leave.
func (ad *admission) admit(key netip.Prefix, now time.Time) (ok bool, wait time.Duration) {
	ad.mu.Lock()
	defer ad.mu.Unlock()
	ad.sweepLocked(now)
	st := ad.addrs[key]
	if st == nil {
		st = &addrState{}
		ad.addrs[key] = st
	}
	if ad.perAddr >= 0 && st.sessions >= ad.perAddr {
		return false, 5 * time.Second
	}
	if ad.rate >= 0 {
		if ok, wait := st.starts.take(now, ad.rate, ad.burst); !ok {
			return false, wait
		}
	}
	st.sessions++
	return true, 0
}

// leave uncounts a session of key.
func (ad *admission) leave(key netip.Prefix) {
	ad.mu.Lock()
	defer ad.mu.Unlock()
	if st := ad.addrs[key]; st != nil && st.sessions > 0 {
		st.sessions--
	}
}

// sweepLocked forgets, at most once a minute, the addresses with no session
// and a full bucket: the map holds no more than the addresses active lately.
func (ad *admission) sweepLocked(now time.Time) {
	if now.Sub(ad.swept) < time.Minute {
		return
	}
	ad.swept = now
	for k, st := range ad.addrs {
		if st.sessions == 0 && (ad.rate < 0 || st.starts.full(now, ad.rate, ad.burst)) {
			delete(ad.addrs, k)
		}
	}
}

// tracked is the number of addresses held (for tests).
func (ad *admission) tracked() int {
	ad.mu.Lock()
	defer ad.mu.Unlock()
	return len(ad.addrs)
}
