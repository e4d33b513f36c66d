package server

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// MemoryShared is a SharedStore in this process's memory: one mutex, maps,
// wall-clock expiry. Several Handlers of one process can share it (tests of
// the multi-node paths); it shares nothing between processes, so production
// uses a store such as package redisstore.
type MemoryShared struct {
	mu       sync.Mutex
	sessions map[string]*fakeSession
	watchers map[string]map[chan uint64]struct{}
	now      func() time.Time
}

type fakeSession struct {
	rec     SessionRecord
	expires time.Time
	dirs    [2]fakeDir
	fence   uint64
	owner   string
	leaseTo time.Time
	version uint64
}

type fakeDir struct {
	state DirState
	msgs  []StoredMessage
}

// NewMemoryShared returns an empty MemoryShared.
func NewMemoryShared() *MemoryShared {
	return &MemoryShared{sessions: map[string]*fakeSession{}, watchers: map[string]map[chan uint64]struct{}{}, now: time.Now}
}

var _ SharedStore = (*MemoryShared)(nil)

// get returns the live session sid; with the lock held.
func (f *MemoryShared) get(sid string) (*fakeSession, error) {
	s := f.sessions[sid]
	if s == nil {
		return nil, ErrStoreNotFound
	}
	if !f.now().Before(s.expires) {
		delete(f.sessions, sid)
		return nil, ErrStoreNotFound
	}
	return s, nil
}

// changed numbers a change of session s and wakes its watchers; with the
// lock held.
func (f *MemoryShared) changed(sid string, s *fakeSession) {
	s.version++
	f.wake(sid, s.version)
}

// wake signals the watchers of sid with version v (0: unknown), coalescing
// with a wake-up not yet received; with the lock held.
func (f *MemoryShared) wake(sid string, v uint64) {
	for ch := range f.watchers[sid] {
		select {
		case ch <- v:
		default:
			select {
			case old := <-ch:
				ch <- MergeVersions(old, v)
			default:
				ch <- v
			}
		}
	}
}

func (f *MemoryShared) Create(_ context.Context, rec SessionRecord, ttl time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.get(rec.ID); err == nil {
		return ErrStoreExists
	}
	rec.Closed = nil
	rec.Auth = append([]byte(nil), rec.Auth...)
	f.sessions[rec.ID] = &fakeSession{rec: rec, expires: f.now().Add(ttl)}
	return nil
}

func (f *MemoryShared) Load(_ context.Context, sid string) (SessionRecord, SeqState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(sid)
	if err != nil {
		return SessionRecord{}, SeqState{}, err
	}
	rec := s.rec
	rec.Auth = append([]byte(nil), rec.Auth...)
	if rec.Closed != nil {
		c := *rec.Closed
		rec.Closed = &c
	}
	return rec, SeqState{Out: s.dirs[ToClient].state, In: s.dirs[ToServer].state}, nil
}

func (f *MemoryShared) Touch(_ context.Context, sid string, ttl time.Duration) error {
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

func (f *MemoryShared) End(_ context.Context, sid string, c CloseState, grace time.Duration) (CloseState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(sid)
	if err != nil {
		return CloseState{}, err
	}
	if s.rec.Closed != nil {
		return *s.rec.Closed, nil
	}
	s.rec.Closed = &c
	s.expires = f.now().Add(grace)
	f.changed(sid, s)
	return c, nil
}

func (f *MemoryShared) Delete(_ context.Context, sid string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sessions, sid)
	f.wake(sid, 0)
	return nil
}

func (f *MemoryShared) Append(_ context.Context, sid string, d Direction, m StoredMessage, o AppendOptions) (uint64, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(sid)
	if err != nil {
		return 0, false, err
	}
	if o.Fence != 0 && o.Fence != s.fence {
		return 0, false, ErrLeaseLost
	}
	ackIn := d == ToClient && o.AckIn > 0
	if ackIn && o.AckIn > s.dirs[ToServer].state.Last {
		return 0, false, ErrStoreAckAhead
	}
	dir := &s.dirs[d]
	n := m.Seq
	switch {
	case n == 0:
		n = dir.state.Last + 1
	case n <= dir.state.Last:
		if ackIn && f.ackLocked(s, ToServer, o.AckIn) {
			f.changed(sid, s)
		}
		if o.Version != nil {
			*o.Version = s.version
		}
		return n, false, nil
	case n > dir.state.Last+1:
		return 0, false, ErrStoreGap
	}
	if dir.state.Last > dir.state.Acked && dir.state.Bytes+int64(len(m.Data)) > int64(o.MaxBytes) {
		return 0, false, ErrStoreFull
	}
	if ackIn {
		f.ackLocked(s, ToServer, o.AckIn)
	}
	data := append([]byte(nil), m.Data...)
	dir.msgs = append(dir.msgs, StoredMessage{Seq: n, Binary: m.Binary, Data: data})
	dir.state.Last = n
	dir.state.Bytes += int64(len(data))
	f.changed(sid, s)
	if o.Version != nil {
		*o.Version = s.version
	}
	return n, true, nil
}

func (f *MemoryShared) Read(_ context.Context, sid string, d Direction, from uint64, maxBytes int) ([]StoredMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(sid)
	if err != nil {
		return nil, err
	}
	return f.readLocked(s, d, from, maxBytes), nil
}

func (f *MemoryShared) readLocked(s *fakeSession, d Direction, from uint64, maxBytes int) []StoredMessage {
	var out []StoredMessage
	size := 0
	for _, m := range s.dirs[d].msgs {
		if m.Seq < from {
			continue
		}
		if len(out) > 0 && size+len(m.Data) > maxBytes {
			break
		}
		size += len(m.Data)
		out = append(out, StoredMessage{Seq: m.Seq, Binary: m.Binary, Data: append([]byte(nil), m.Data...)})
	}
	return out
}

func (f *MemoryShared) Sync(_ context.Context, sid string, q SyncRequest) (SyncResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(sid)
	if err != nil {
		return SyncResult{}, err
	}
	if q.Ack > toClientLast(s) {
		return SyncResult{}, ErrStoreAckAhead
	}
	change := q.Ack > 0 && f.ackLocked(s, ToClient, q.Ack)
	if q.Touch > 0 && s.rec.Closed == nil {
		change = change || !s.rec.Established
		s.rec.Established = true
		s.expires = f.now().Add(q.Touch)
	}
	if change {
		f.changed(sid, s)
	}
	r := SyncResult{Established: s.rec.Established, State: SeqState{Out: s.dirs[ToClient].state, In: s.dirs[ToServer].state}}
	if s.rec.Closed != nil {
		c := *s.rec.Closed
		r.Closed = &c
	}
	if q.From > 0 {
		r.Out = f.readLocked(s, ToClient, q.From, q.MaxBytes)
	}
	r.Unowned = q.Owner && (s.owner == "" || !f.now().Before(s.leaseTo))
	r.Version = s.version
	return r, nil
}

func (f *MemoryShared) Ack(_ context.Context, sid string, d Direction, n uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(sid)
	if err != nil {
		return err
	}
	if n > s.dirs[d].state.Last {
		return ErrStoreAckAhead
	}
	if f.ackLocked(s, d, n) {
		f.changed(sid, s)
	}
	return nil
}

// toClientLast is the last seq of s's messages to the client.
func toClientLast(s *fakeSession) uint64 { return s.dirs[ToClient].state.Last }

// ackLocked drops the messages of d up to n (at most the last), reporting
// whether that changed anything.
func (f *MemoryShared) ackLocked(s *fakeSession, d Direction, n uint64) bool {
	dir := &s.dirs[d]
	if n <= dir.state.Acked {
		return false
	}
	i := 0
	for i < len(dir.msgs) && dir.msgs[i].Seq <= n {
		dir.state.Bytes -= int64(len(dir.msgs[i].Data))
		i++
	}
	dir.msgs = append(dir.msgs[:0:0], dir.msgs[i:]...)
	dir.state.Acked = n
	return true
}

func (f *MemoryShared) Acquire(_ context.Context, sid, node string, ttl time.Duration) (Lease, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(sid)
	if err != nil {
		return Lease{}, err
	}
	if s.owner != "" && f.now().Before(s.leaseTo) {
		return Lease{}, ErrLeaseHeld
	}
	s.fence++
	s.owner, s.leaseTo = node+"|"+strconv.FormatUint(s.fence, 10), f.now().Add(ttl)
	return Lease{SID: sid, Node: node, Token: s.fence}, nil
}

func (f *MemoryShared) held(s *fakeSession, l Lease) bool {
	return s.owner == l.Node+"|"+strconv.FormatUint(l.Token, 10) && f.now().Before(s.leaseTo)
}

func (f *MemoryShared) Renew(_ context.Context, l Lease, ttl time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(l.SID)
	if err != nil {
		return ErrLeaseLost
	}
	if !f.held(s, l) {
		return ErrLeaseLost
	}
	s.leaseTo = f.now().Add(ttl)
	return nil
}

func (f *MemoryShared) Release(_ context.Context, l Lease) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.get(l.SID)
	if err != nil {
		return nil
	}
	if f.held(s, l) {
		s.owner = ""
		f.changed(l.SID, s)
	}
	return nil
}

func (f *MemoryShared) Watch(sid string) (<-chan uint64, func()) {
	ch := make(chan uint64, 1)
	f.mu.Lock()
	if f.watchers[sid] == nil {
		f.watchers[sid] = map[chan uint64]struct{}{}
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
