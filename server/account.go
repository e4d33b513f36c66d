package server

import (
	"net/http"
	"slices"
)

// chargeLocked charges n bytes of a buffered message to the Handler's
// budget if they fit now and nobody waits for the budget (budget.tryTake):
// it never waits. It reports whether it charged them.
func (s *Session) chargeLocked(n int) bool {
	if !s.h.budget.tryTake(int64(n)) {
		return false
	}
	s.held += int64(n)
	return true
}

// reserveLocked charges n bytes of a buffered message to the Handler's
// budget for a caller that waits for them, keeping its place in the
// budget's queue in *t across calls. With *t nil it takes the bytes, or
// queues a ticket for them in *t; with *t set it claims the ticket once
// granted. It reports whether the bytes are charged (*t is then nil);
// else the caller waits on (*t).ready and calls again, or cancels *t
// (budget.cancel) once it no longer waits: a ticket of another size is
// canceled here and a new one queued.
func (s *Session) reserveLocked(n int, t **ticket) bool {
	b := s.h.budget
	if *t != nil && (*t).n != int64(n) {
		b.cancel(*t)
		*t = nil
	}
	if *t == nil {
		ok, q := b.take(int64(n))
		if !ok {
			*t = q
			return false
		}
	} else if !b.claim(*t) {
		return false
	}
	*t = nil
	s.held += int64(n)
	return true
}

// refundLocked returns up to n bytes of the session's charge. After the
// session is removed its charge is 0 and refunds do nothing.
func (s *Session) refundLocked(n int) {
	r := min(int64(n), s.held)
	if r <= 0 {
		return
	}
	s.held -= r
	s.h.budget.release(r)
}

// ackOutLocked applies the client's ack to the outbox and refunds the bytes
// it frees. A shared session's mirror may stop short of the store (the
// budget held messages back): an ack of stored messages it does not hold
// (the client got them through another node) empties it, and it goes on
// after them.
func (s *Session) ackOutLocked(n uint64) error {
	before := s.out.Bytes()
	var err error
	if s.sh != nil && n > s.out.Last() && n <= s.sh.last {
		s.out.Skip(n)
	} else {
		err = s.out.Ack(n)
	}
	s.refundLocked(before - s.out.Bytes())
	if s.sh != nil && err == nil && n > s.sh.storedAck {
		s.sh.poke() // the pump stores the ack
	}
	return err
}

// establish notes that the client came back after the request that
// started the session: from now on it gets the full SessionTTL.
func (s *Session) establish() {
	s.established.Store(true)
	if s.sh != nil {
		s.sh.contact.Store(true)
	}
}

// Headers never kept in RemoteInfo.Header: credentials.
var secretHeaders = []string{"Tether-Key", "Authorization", "Cookie", "Proxy-Authorization"}

// keptHeaders copies the headers of hd that fit in max bytes (names and
// values), in name order, leaving out secretHeaders.
func keptHeaders(hd http.Header, max int) http.Header {
	out := http.Header{}
	if max <= 0 {
		return out
	}
	names := make([]string, 0, len(hd))
	for k := range hd {
		if !slices.Contains(secretHeaders, http.CanonicalHeaderKey(k)) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	used := 0
	for _, k := range names {
		for _, v := range hd[k] {
			if used+len(k)+len(v) > max {
				continue
			}
			used += len(k) + len(v)
			out[k] = append(out[k], v)
		}
	}
	return out
}

// clip cuts s to at most n bytes.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
