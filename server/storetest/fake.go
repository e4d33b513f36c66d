// Package storetest holds the conformance suite every server.SharedStore
// must pass (Run), and Fake, an in-process SharedStore for fast tests.
package storetest

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/tether-sdk/tether/server"
)

// Fake is an in-process server.SharedStore: one mutex, maps, wall-clock
// expiry. It is for tests of code built on the seam; it shares nothing
// between processes.
type Fake struct {
	mu       sync.Mutex
	sessions map[string]*fakeSession
	watchers map[string]map[chan struct{}]struct{}
	now      func() time.Time
}

type fakeSession struct {
	rec     server.SessionRecord
	expires time.Time
	dirs    [2]fakeDir
	fence   uint64
	owner   string
	leaseTo time.Time
}

type fakeDir struct {
	state server.DirState
	msgs  []server.StoredMessage
}

// NewFake returns an empty Fake.
func NewFake() *Fake {
	return &Fake{sessions: map[string]*fakeSession{}, watchers: map[string]map[chan struct{}]struct{}{}, now: time.Now}
}

var _ server.SharedStore = (*Fake)(nil)

// get returns the live session sid; with the lock held.
func (f *Fake) get(sid string) (*fakeSession, error) {
	s := f.sessions[sid]
	if s == nil {
		return nil, server.ErrStoreNotFound
	}
	if !f.now().Before(s.expires) {
		delete(f.sessions, sid)
		return nil, server.ErrStoreNotFound
	}
	return s, nil
}

// wake signals the watchers of sid; with the lock held.
func (f *Fake) wake(sid string) {
	for ch := range f.watchers[sid] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (f *Fake) Create(_ context.Context, rec server.SessionRecord, ttl time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.get(rec.ID); err == nil {
		return server.ErrStoreExists
	}
	rec.Closed = nil
	f.sessions[rec.ID] = &fakeSession{rec: rec, expires: f.now().Add(ttl)}
	return nil
}

func (f *Fake) Load(_ context.Context, sid string) (server.SessionRecord, server.SeqState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(sid)
	if err != nil {
		return server.SessionRecord{}, server.SeqState{}, err
	}
	rec := s.rec
	if rec.Closed != nil {
		c := *rec.Closed
		rec.Closed = &c
	}
	return rec, server.SeqState{Out: s.dirs[server.ToClient].state, In: s.dirs[server.ToServer].state}, nil
}

func (f *Fake) Touch(_ context.Context, sid string, ttl time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(sid)
	if err != nil {
		return err
	}
	s.rec.Established = true
	s.expires = f.now().Add(ttl)
	return nil
}

func (f *Fake) End(_ context.Context, sid string, c server.CloseState, grace time.Duration) (server.CloseState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(sid)
	if err != nil {
		return server.CloseState{}, err
	}
	if s.rec.Closed != nil {
		return *s.rec.Closed, nil
	}
	s.rec.Closed = &c
	s.expires = f.now().Add(grace)
	f.wake(sid)
	return c, nil
}

func (f *Fake) Delete(_ context.Context, sid string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sessions, sid)
	f.wake(sid)
	return nil
}

func (f *Fake) Append(_ context.Context, sid string, d server.Direction, m server.StoredMessage, maxBytes int, fence uint64) (uint64, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(sid)
	if err != nil {
		return 0, false, err
	}
	if fence != 0 && fence != s.fence {
		return 0, false, server.ErrLeaseLost
	}
	dir := &s.dirs[d]
	n := m.Seq
	switch {
	case n == 0:
		n = dir.state.Last + 1
	case n <= dir.state.Last:
		return n, false, nil
	case n > dir.state.Last+1:
		return 0, false, server.ErrStoreGap
	}
	if dir.state.Last > dir.state.Acked && dir.state.Bytes+int64(len(m.Data)) > int64(maxBytes) {
		return 0, false, server.ErrStoreFull
	}
	data := append([]byte(nil), m.Data...)
	dir.msgs = append(dir.msgs, server.StoredMessage{Seq: n, Binary: m.Binary, Data: data})
	dir.state.Last = n
	dir.state.Bytes += int64(len(data))
	f.wake(sid)
	return n, true, nil
}

func (f *Fake) Read(_ context.Context, sid string, d server.Direction, from uint64, maxBytes int) ([]server.StoredMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(sid)
	if err != nil {
		return nil, err
	}
	var out []server.StoredMessage
	size := 0
	for _, m := range s.dirs[d].msgs {
		if m.Seq < from {
			continue
		}
		if len(out) > 0 && size+len(m.Data) > maxBytes {
			break
		}
		size += len(m.Data)
		out = append(out, server.StoredMessage{Seq: m.Seq, Binary: m.Binary, Data: append([]byte(nil), m.Data...)})
	}
	return out, nil
}

func (f *Fake) Ack(_ context.Context, sid string, d server.Direction, n uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(sid)
	if err != nil {
		return err
	}
	dir := &s.dirs[d]
	if n > dir.state.Last {
		return server.ErrStoreAckAhead
	}
	if n <= dir.state.Acked {
		return nil
	}
	i := 0
	for i < len(dir.msgs) && dir.msgs[i].Seq <= n {
		dir.state.Bytes -= int64(len(dir.msgs[i].Data))
		i++
	}
	dir.msgs = append(dir.msgs[:0:0], dir.msgs[i:]...)
	dir.state.Acked = n
	f.wake(sid)
	return nil
}

func (f *Fake) Acquire(_ context.Context, sid, node string, ttl time.Duration) (server.Lease, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(sid)
	if err != nil {
		return server.Lease{}, err
	}
	if s.owner != "" && f.now().Before(s.leaseTo) {
		return server.Lease{}, server.ErrLeaseHeld
	}
	s.fence++
	s.owner, s.leaseTo = node+"|"+strconv.FormatUint(s.fence, 10), f.now().Add(ttl)
	return server.Lease{SID: sid, Node: node, Token: s.fence}, nil
}

func (f *Fake) held(s *fakeSession, l server.Lease) bool {
	return s.owner == l.Node+"|"+strconv.FormatUint(l.Token, 10) && f.now().Before(s.leaseTo)
}

func (f *Fake) Renew(_ context.Context, l server.Lease, ttl time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(l.SID)
	if err != nil {
		return server.ErrLeaseLost
	}
	if !f.held(s, l) {
		return server.ErrLeaseLost
	}
	s.leaseTo = f.now().Add(ttl)
	return nil
}

func (f *Fake) Release(_ context.Context, l server.Lease) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(l.SID)
	if err != nil {
		return nil
	}
	if f.held(s, l) {
		s.owner = ""
		f.wake(l.SID)
	}
	return nil
}

func (f *Fake) Watch(sid string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	f.mu.Lock()
	if f.watchers[sid] == nil {
		f.watchers[sid] = map[chan struct{}]struct{}{}
	}
	f.watchers[sid][ch] = struct{}{}
	f.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.watchers[sid], ch)
			if len(f.watchers[sid]) == 0 {
				delete(f.watchers, sid)
			}
			f.mu.Unlock()
		})
	}
}
