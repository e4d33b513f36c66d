package server

import "sync"

// Store keeps the live sessions of a Handler, by id. The in-memory store
// (NewMemoryStore) is the default; the interface is the seam for a store
// shared by several nodes.
type Store interface {
	// Add stores a new session unless the store holds max sessions already;
	// it reports whether it did.
	Add(s *Session, max int) bool
	// Get returns the session with id, or nil.
	Get(id string) *Session
	// Remove forgets the session with id (if it is s).
	Remove(id string, s *Session)
	// Len is the number of sessions stored.
	Len() int
	// All returns the sessions stored.
	All() []*Session
}

// NewMemoryStore returns a Store that keeps sessions in a map.
func NewMemoryStore() Store { return &memoryStore{m: map[string]*Session{}} }

type memoryStore struct {
	mu sync.Mutex
	m  map[string]*Session
}

func (st *memoryStore) Add(s *Session, max int) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.m) >= max {
		return false
	}
	st.m[s.id] = s
	return true
}

func (st *memoryStore) Get(id string) *Session {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.m[id]
}

func (st *memoryStore) Remove(id string, s *Session) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.m[id] == s {
		delete(st.m, id)
	}
}

func (st *memoryStore) Len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.m)
}

func (st *memoryStore) All() []*Session {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]*Session, 0, len(st.m))
	for _, s := range st.m {
		out = append(out, s)
	}
	return out
}
