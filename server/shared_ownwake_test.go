package server

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/tether-sdk/tether/internal/wire"
)

// gatedStore is a SharedStore that counts its Syncs and, while gate is
// set, holds each Append's return (after the Append was made, its wake-up
// sent) until the test lets it go.
type gatedStore struct {
	SharedStore
	syncs atomic.Int64
	gate  atomic.Pointer[chan struct{}]
}

func (g *gatedStore) Sync(ctx context.Context, sid string, q SyncRequest) (SyncResult, error) {
	g.syncs.Add(1)
	return g.SharedStore.Sync(ctx, sid, q)
}

func (g *gatedStore) Append(ctx context.Context, sid string, d Direction, m StoredMessage, o AppendOptions) (uint64, bool, error) {
	n, ok, err := g.SharedStore.Append(ctx, sid, d, m, o)
	if c := g.gate.Load(); c != nil {
		<-*c
	}
	return n, ok, err
}

// TestSharedOwnWakeNeedsNoRead: a store sends the wake-up of an Append as
// the Append returns (Redis beside its reply), so a node's pump may hear
// of its own change before the Append has told it the version. It waits
// for its own Appends under way instead of reading the store; and its
// versions may come back out of order (the reader's Appends and the
// application's Sends run side by side), which it follows too.
func TestSharedOwnWakeNeedsNoRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &gatedStore{SharedStore: NewMemoryShared()}
		got := make(chan *Session, 1)
		h := NewHandler(func(s *Session) { got <- s; <-s.Context().Done() }, &Options{Shared: st, Node: "a", MaxMessageBytes: 100})
		t.Cleanup(func() { stopNodes(t, h) })
		openClient(t, h, "192.0.2.1:1")
		s := <-got
		synctest.Wait()
		before := st.syncs.Load()

		// One Send, its return held after its wake-up went out.
		gate := make(chan struct{})
		st.gate.Store(&gate)
		done := make(chan error, 2)
		go func() { done <- s.Send(s.Context(), Message{Data: []byte("one")}) }()
		synctest.Wait() // the pump has the wake-up; the Send has not returned
		st.gate.Store(nil)
		close(gate)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if n := st.syncs.Load() - before; n != 0 {
			t.Fatalf("%d Syncs for a wake-up that came before its own Append returned", n)
		}

		// A Send and a client's message stored side by side, their
		// versions returned in the other order: the message's (the later
		// version) first.
		first, second := make(chan struct{}), make(chan struct{})
		st.gate.Store(&first)
		go func() { done <- s.Send(s.Context(), Message{Data: []byte("two")}) }()
		synctest.Wait()
		st.gate.Store(&second)
		go func() {
			done <- s.deliver(s.Context(), nil, &wire.Frame{Kind: wire.KindText, Seq: 1, Data: []byte("from the client")})
		}()
		synctest.Wait()
		st.gate.Store(nil)
		close(second)
		synctest.Wait()
		close(first)
		for range 2 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if n := st.syncs.Load() - before; n != 0 {
			t.Fatalf("%d Syncs for the mirror's own changes returned out of order", n)
		}
	})
}
