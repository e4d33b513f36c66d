package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// With Options.Shared, a local Session is a mirror of the stored one: its
// outbox holds the stored messages to the client not yet acknowledged, as
// far as the Handler's budget takes them (the rest wait in the store, read
// once acks free bytes: mirrorLocked), its receiver the stored recv, and
// the transports serve it exactly as a session of one node. Writes go to
// the store first: the client's messages (deliver), the application's
// (Send), acks (through the pump), the end. A pump per mirror follows the
// store (wake-ups, a re-read every sharedTick, and the budget's grant of
// the message it held back), writes the client's acks and contact to it,
// renews the owner lease, and takes the lease over when the owner is gone.

// sharedTick is the longest a mirror goes without re-reading the store
// (wake-ups lost while the store was away, or before a subscription).
const sharedTick = time.Second

// storeOpTimeout bounds one store operation a request or the pump makes.
const storeOpTimeout = 5 * time.Second

// sharedState links a local Session to Options.Shared.
type sharedState struct {
	st        SharedStore
	lease     Lease  // guarded by s.mu; Token 0: this node does not own the session
	taken     uint64 // guarded by s.mu: the last message to the server Receive returned
	takenAck  uint64 // guarded by s.mu: taken as stored (it lags until the next Receive or Send)
	nextOut   uint64 // guarded by s.mu: the seq of the owner's last stored Send
	sendMu    sync.Mutex
	inAcked   uint64 // guarded by s.mu: the stored taken mark, as last read
	storedAck uint64 // guarded by s.mu: the client's ack as stored
	storedEst bool   // guarded by s.mu: the store has the session as established
	gone      bool   // guarded by s.mu: removed from this node; nothing more is charged to the budget
	recvMu    sync.Mutex
	ahead     []StoredMessage // guarded by recvMu: read from the store, not yet returned by Receive
	contact   atomic.Bool     // client contact since the last Touch
	touched   time.Time       // pump only
	renewed   time.Time       // pump only
	known     uint64          // guarded by s.mu: the store's version this mirror is at (SyncResult.Version)
	own       []uint64        // guarded by s.mu: versions past known+1 of changes this mirror made and has (ownLocked)
	appending int             // guarded by s.mu: this mirror's Appends under way (their versions not known yet)
	settled   chan struct{}   // buffered 1: appending went to 0
	wake      <-chan uint64
	stopWatch func()
	kick      chan struct{} // buffered 1: something local for the pump
	done      chan struct{} // closed when the mirror is dropped
	stopOnce  sync.Once

	// The mirror holds what the Handler's budget takes (mirrorLocked).
	last       uint64        // guarded by s.mu: the store's last message to the client, as last read (the mirror may stop short of it)
	ticket     *ticket       // guarded by s.mu: queued for the budget for the mirror's next message (nil: nothing held back)
	rearm      chan struct{} // buffered 1: ticket changed while the pump waited
	aheadBytes int           // guarded by s.mu: the payload of ahead, charged to the budget
}

func newSharedState(st SharedStore, sid string) *sharedState {
	w, stop := st.Watch(sid)
	return &sharedState{st: st, wake: w, stopWatch: stop, kick: make(chan struct{}, 1), rearm: make(chan struct{}, 1), settled: make(chan struct{}, 1), done: make(chan struct{}),
		touched: time.Now(), renewed: time.Now()}
}

func (sh *sharedState) poke() {
	select {
	case sh.kick <- struct{}{}:
	default:
	}
}

func (sh *sharedState) stop() {
	sh.stopOnce.Do(func() {
		close(sh.done)
		sh.stopWatch()
	})
}

func storeCtx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, storeOpTimeout)
}

// createShared stores a new session and makes this node its owner.
func (h *Handler) createShared(s *Session) error {
	ctx, cancel := storeCtx(context.Background())
	defer cancel()
	st := h.opts.Shared
	auth, err := h.encodeAuth(s.auth)
	if err != nil {
		return err
	}
	if err := st.Create(ctx, SessionRecord{ID: s.id, Key: s.key, Auth: auth, Remote: s.remote}, h.opts.NewSessionTTL); err != nil {
		return err
	}
	l, err := st.Acquire(ctx, s.id, h.opts.Node, h.opts.LeaseTTL)
	if err != nil {
		st.Delete(ctx, s.id)
		return err
	}
	s.sh = newSharedState(st, s.id)
	s.sh.lease = l
	return nil
}

// find returns the session sid whose key matches: the local one, or a new
// mirror of the stored one. nil and no error: there is no such session (the
// client gets session_not_found); an error: the store is unavailable.
func (h *Handler) find(sid, key string) (*Session, error) {
	if h.opts.Shared == nil {
		return h.lookup(sid, key), nil
	}
	if sid == "" || key == "" {
		return nil, nil
	}
	ctx, cancel := storeCtx(context.Background())
	defer cancel()
	s := h.lookup(sid, key)
	if s == nil {
		var err error
		if s, err = h.mirror(ctx, sid, key); s == nil || err != nil {
			return nil, err
		}
	}
	if _, err := s.syncShared(ctx, SyncRequest{}); err != nil {
		if errors.Is(err, ErrStoreNotFound) {
			return nil, nil
		}
		return nil, err
	}
	return s, nil
}

// mirror makes a local Session of the stored session sid.
func (h *Handler) mirror(ctx context.Context, sid, key string) (*Session, error) {
	h.mirrorMu.Lock()
	defer h.mirrorMu.Unlock()
	if s := h.lookup(sid, key); s != nil {
		return s, nil // another request made it meanwhile
	}
	rec, state, err := h.opts.Shared.Load(ctx, sid)
	if errors.Is(err, ErrStoreNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(rec.Key), []byte(key)) != 1 || rec.Closed != nil {
		return nil, nil
	}
	sctx, cancel := context.WithCancel(context.Background())
	s := &Session{h: h, id: sid, key: rec.Key, auth: h.decodeAuth(sid, rec.Auth), remote: rec.Remote, ctx: sctx, cancel: cancel,
		sendSlot: make(chan struct{}, 1)}
	s.established.Store(rec.Established)
	s.out.Skip(state.Out.Acked)
	s.in.Advance(state.In.Last)
	s.sh = newSharedState(h.opts.Shared, sid)
	s.sh.storedAck, s.sh.inAcked, s.sh.last = state.Out.Acked, state.In.Acked, state.Out.Last
	if !h.opts.Store.Add(s, h.opts.MaxSessions) {
		s.sh.stop()
		cancel()
		h.opts.Logger.Warn("session not mirrored: MaxSessions reached on this node", "session", sid, "node", h.opts.Node)
		return nil, errNodeFull
	}
	h.opts.Logger.Info("session mirrored from the shared store", "session", sid, "node", h.opts.Node)
	s.mu.Lock()
	s.armExpiryLocked()
	s.mu.Unlock()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		s.pump()
	}()
	s.tryOwn(ctx)
	return s, nil
}

// tryOwn takes the session's lease when no node holds it, and runs the
// application's serve function here.
func (s *Session) tryOwn(ctx context.Context) {
	h := s.h
	if h.shutdown.Load() {
		return
	}
	s.mu.Lock()
	owned, ended := s.sh.lease.Token != 0, s.ended != nil
	s.mu.Unlock()
	if owned || ended {
		return
	}
	l, err := s.sh.st.Acquire(ctx, s.id, h.opts.Node, h.opts.LeaseTTL)
	if err != nil {
		return // held elsewhere, or the store is away: the pump tries again
	}
	_, state, err := s.sh.st.Load(ctx, s.id)
	if err != nil {
		s.sh.st.Release(ctx, l)
		return
	}
	s.mu.Lock()
	if s.ended != nil {
		s.mu.Unlock()
		s.sh.st.Release(ctx, l)
		return
	}
	s.sh.lease, s.sh.taken, s.sh.takenAck, s.sh.nextOut, s.sh.renewed = l, state.In.Acked, state.In.Acked, state.Out.Last, time.Now()
	s.sh.last = max(s.sh.last, state.Out.Last)
	s.mu.Unlock()
	h.opts.Logger.Info("session taken over", "session", s.id, "node", h.opts.Node, "token", l.Token)
	h.runServe(s)
}

// syncShared brings the mirror up to the stored state: new messages to the
// client (as far as the budget takes them), acks made through other nodes,
// the recv, the end. It is one SharedStore.Sync (which also stores q's ack
// and touch) and, when its reply did not hold every new message and the
// budget took all it held, a Read per further MaxBufferedBytes.
//
// unowned: q.Owner was set and no node holds the session's lease.
func (s *Session) syncShared(ctx context.Context, q SyncRequest) (unowned bool, _ error) {
	st := s.sh.st
	s.mu.Lock()
	q.From, q.MaxBytes = s.out.Last()+1, s.h.opts.MaxBufferedBytes
	s.mu.Unlock()
	res, err := st.Sync(ctx, s.id, q)
	if errors.Is(err, ErrStoreNotFound) {
		s.lost()
		return false, err
	}
	if err != nil {
		return false, err
	}
	// A resuming client's ack is checked against the store's last message
	// (sh.last), which applySync notes first; the mirror itself holds what
	// the budget takes. Sync's reply holds up to MaxBufferedBytes (or 512
	// messages); read on while the budget takes them.
	for from := s.applySync(&res); from != 0; {
		ms, err := st.Read(ctx, s.id, ToClient, from, s.h.opts.MaxBufferedBytes)
		if err != nil {
			if errors.Is(err, ErrStoreNotFound) {
				s.lost()
			}
			return false, err
		}
		s.mu.Lock()
		from = s.readOnLocked(ms)
		s.mu.Unlock()
	}
	return res.Unowned, nil
}

// applySync applies a Sync's reply to the mirror. It returns the seq to
// read on from (0: none): the reply's messages were all taken, and the
// store has more.
func (s *Session) applySync(res *SyncResult) (from uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	state := res.State
	changed := false
	before := s.out.Bytes()
	s.sh.last = max(s.sh.last, state.Out.Last)
	if state.Out.Acked > s.out.Last() {
		s.out.Skip(state.Out.Acked) // acked through other nodes past what this mirror had
		changed = true
	}
	if state.Out.Acked > s.out.Acked() && state.Out.Acked <= s.out.Last() {
		s.out.Ack(state.Out.Acked)
		changed = true
	}
	s.refundLocked(before - s.out.Bytes()) // what the acks freed
	from = s.readOnLocked(res.Out)
	s.sh.storedAck = max(s.sh.storedAck, state.Out.Acked)
	s.sh.storedEst = res.Established
	s.sh.known = max(s.sh.known, res.Version)
	s.sh.advanceLocked()
	if state.In.Last > s.in.Recv() {
		s.in.Advance(state.In.Last)
		changed = true
	}
	if state.In.Acked != s.sh.inAcked {
		s.sh.inAcked = state.In.Acked
		changed = true
	}
	if res.Established {
		s.established.Store(true)
	}
	if c := res.Closed; c != nil && s.ended == nil {
		switch {
		case c.Expired:
			s.ended = ErrExpired
		case c.ByClient:
			s.ended = &CloseError{Code: c.Code, Reason: c.Reason, ByClient: true}
			s.closeFrame = &wire.Close{Code: wire.CloseNormal, Reason: "closed by the client"}
		default:
			s.ended = &CloseError{Code: c.Code, Reason: c.Reason}
			s.closeFrame = &wire.Close{Code: c.Code, Reason: c.Reason}
		}
		s.finishLocked(s.h.closeGrace())
		changed = true
	}
	if changed {
		s.signalLocked()
	}
	return from
}

// readOnLocked puts stored messages ms into the mirror (mirrorLocked) and
// returns the seq to read on from (0: none): every message of ms was taken
// and the store has more.
func (s *Session) readOnLocked(ms []StoredMessage) uint64 {
	if !s.mirrorLocked(ms) || len(ms) == 0 || s.out.Last() >= s.sh.last {
		return 0
	}
	return s.out.Last() + 1
}

// mirrorLocked appends to the mirror the stored messages of ms that follow
// its last, each charged to the Handler's budget: the mirror holds charged
// bytes only. It stops at the first message the budget refuses; that one
// and those after it stay in the store (the mirror stays contiguous), and
// a ticket in the budget's queue holds the mirror's place (sh.ticket):
// once the budget grants it, the pump reads the message again and this
// claims the bytes reserved for it. The ticket is for the mirror's next
// message, whichever it is by then (acks through another node skip some;
// one of another size queues anew); it is canceled once the mirror needs
// nothing more (caught up with the store, or removed). It reports whether
// it took every message it could (false: refused, or the mirror is gone).
func (s *Session) mirrorLocked(ms []StoredMessage) bool {
	sh := s.sh
	took, ok := false, true
	for _, m := range ms {
		sh.last = max(sh.last, m.Seq) // a Read after the Sync may see more
		if m.Seq <= s.out.Last() {
			continue // this mirror has it (a sync or Send that came between)
		}
		if m.Seq != s.out.Last()+1 || sh.gone {
			ok = false // not contiguous (cannot be with a store that keeps its order), or removed
			break
		}
		if t := sh.ticket; !s.reserveLocked(len(m.Data), &sh.ticket) {
			if sh.ticket != t {
				select {
				case sh.rearm <- struct{}{}: // the pump waits on it from its next turn
				default:
				}
			}
			ok = false
			break
		}
		s.out.Push(m.Binary, m.Data)
		took = true
	}
	if sh.ticket != nil && (s.out.Last() >= sh.last || sh.gone) {
		s.h.budget.cancel(sh.ticket) // nothing held back
		sh.ticket = nil
	}
	if took {
		s.signalLocked()
	}
	return ok
}

// outLastLocked is the last message to the client: the mirror's, or the
// store's when the mirror stops short of it (held back by the budget).
func (s *Session) outLastLocked() uint64 {
	if s.sh != nil {
		return max(s.out.Last(), s.sh.last)
	}
	return s.out.Last()
}

// lost ends a mirror whose session the store no longer has (expired, or
// lost with the store's memory): the client gets session_not_found on its
// next request and reports its unacknowledged messages.
func (s *Session) lost() {
	s.mu.Lock()
	if s.ended == nil {
		s.ended = ErrExpired
		s.h.opts.Logger.Warn("session gone from the shared store", "session", s.id)
	}
	s.signalLocked()
	s.cancel()
	s.mu.Unlock()
	s.remove()
}

// drop forgets the mirror on this node only (handover, lease lost, a
// mirror nobody used for its TTL): the session goes on in the store, the
// application's serve function here sees why, the transports close (1001)
// and their clients reconnect.
func (s *Session) drop(why error) {
	s.mu.Lock()
	if s.ended == nil {
		s.ended = why
	}
	l := s.sh.lease
	s.sh.lease = Lease{}
	s.signalLocked()
	s.cancel()
	if s.expiry != nil {
		s.expiry.Stop()
	}
	s.mu.Unlock()
	if l.Token != 0 {
		ctx, cancel := storeCtx(context.Background())
		s.sh.st.Release(ctx, l)
		cancel()
	}
	s.remove()
}

// pump follows the store for a mirror until it is dropped.
func (s *Session) pump() {
	sh := s.sh
	t := time.NewTicker(sharedTick)
	defer t.Stop()
	var read *ticket // the granted ticket the pump read for already
	for {
		var granted <-chan struct{}
		s.mu.Lock()
		held := sh.ticket
		if held != nil && held != read {
			granted = held.ready
		}
		s.mu.Unlock()
		select {
		case <-sh.done:
			return // removed: remove canceled the ticket
		case <-sh.rearm:
			continue // the ticket changed: wait on the new one
		case <-granted:
			// The budget reserved the bytes of the message it held back:
			// read it (mirrorLocked claims them). Once: a failed read
			// leaves them reserved until the next one (a tick, a wake-up)
			// takes the message or cancels the ticket.
			read = held
		case v := <-sh.wake:
			if v != 0 && !s.wakeNeedsRead(v) {
				continue // this mirror is there already (its own change, or one a sync brought)
			}
		case <-sh.kick:
		case <-t.C:
		}
		ctx, cancel := storeCtx(context.Background())
		s.pumpOnce(ctx)
		cancel()
	}
}

// wakeNeedsRead reports whether the store's change v is one this mirror
// does not have. Redis sends an Append's wake-up and its reply at once, so
// the wake-up of this mirror's own Append may come before the Append has
// returned its version: while Appends of its own are under way it waits
// for them (at most ownWait) before it decides.
func (s *Session) wakeNeedsRead(v uint64) bool {
	sh := s.sh
	var d *time.Timer
	defer func() {
		if d != nil {
			d.Stop()
		}
	}()
	for {
		s.mu.Lock()
		known, busy := sh.known, sh.appending > 0
		s.mu.Unlock()
		if v <= known {
			return false
		}
		if !busy {
			return true
		}
		if d == nil {
			d = time.NewTimer(ownWait)
		}
		select {
		case <-sh.settled:
		case <-d.C:
			return true
		case <-sh.done:
			return false
		}
	}
}

// appendingLocked counts an Append of this mirror under way (n = 1) or
// done (n = -1).
func (sh *sharedState) appendingLocked(n int) {
	sh.appending += n
	if sh.appending == 0 {
		select {
		case sh.settled <- struct{}{}:
		default:
		}
	}
}

// maxOwn bounds sharedState.own: a change past it costs its wake-up a
// read, as any change this mirror did not make.
const maxOwn = 64

// ownLocked records that this mirror made the store's change ver (an
// Append of its own) and has it: known moves over it once every version
// before it is known, so that its wake-up needs no read. The reader's
// Appends and the application's Sends run side by side, so their versions
// come back in either order: one that is ahead of known waits in own.
func (sh *sharedState) ownLocked(ver uint64) {
	if ver <= sh.known {
		return
	}
	if ver > sh.known+1 {
		if len(sh.own) < maxOwn {
			sh.own = append(sh.own, ver)
		}
		return
	}
	sh.known = ver
	sh.advanceLocked()
}

// advanceLocked moves known over the own changes that follow it, and
// forgets those it passed.
func (sh *sharedState) advanceLocked() {
	for moved := true; moved && len(sh.own) > 0; {
		moved = false
		kept := sh.own[:0]
		for _, v := range sh.own {
			switch {
			case v == sh.known+1:
				sh.known, moved = v, true
			case v > sh.known:
				kept = append(kept, v)
			}
		}
		sh.own = kept
	}
}

// ownWait is the longest the pump waits for this mirror's own Appends
// under way to return their versions before it reads a change it was told
// of (wakeNeedsRead).
const ownWait = 10 * time.Millisecond

// touchGap is the least time between two Touches of a session the client
// keeps in contact with: at most a tenth of its TTL (a session expires at
// most that much before ttl after the client's last contact) and at most
// sharedTick. The first Touch of an established session is not held back.
func touchGap(ttl time.Duration) time.Duration { return min(ttl/10, sharedTick) }

func (s *Session) pumpOnce(ctx context.Context) {
	sh, o := s.sh, &s.h.opts
	s.mu.Lock()
	ack, stored, lease, storedEst := s.out.Acked(), sh.storedAck, sh.lease, sh.storedEst
	persistent := s.att != nil && s.att.persistent
	s.mu.Unlock()
	q := SyncRequest{Owner: lease.Token == 0}
	if ack > stored {
		q.Ack = ack
	}
	ttl := o.NewSessionTTL
	est := s.established.Load()
	if est {
		ttl = o.SessionTTL
	}
	since := time.Since(sh.touched)
	if sh.contact.Load() && (since >= touchGap(ttl) || est && !storedEst) || persistent && since > ttl/3 {
		sh.contact.Store(false)
		q.Touch = ttl
	}
	unowned, err := s.syncShared(ctx, q)
	if errors.Is(err, ErrStoreAckAhead) {
		// The store has fewer messages than this mirror acks (it cannot,
		// short of losing some): sync without the ack.
		o.Logger.Warn("client ack ahead of the shared store", "session", s.id, "ack", ack, "error", err)
		q.Ack = 0
		unowned, err = s.syncShared(ctx, q)
	}
	switch {
	case errors.Is(err, ErrStoreNotFound):
		return
	case err != nil:
		if q.Touch > 0 {
			sh.contact.Store(true) // again next time
		}
	default:
		if q.Touch > 0 {
			sh.touched = time.Now()
		}
		if q.Ack > 0 {
			s.mu.Lock()
			sh.storedAck = max(sh.storedAck, q.Ack)
			s.mu.Unlock()
		}
	}
	if lease.Token == 0 {
		if unowned {
			s.tryOwn(ctx) // else another node owns it: no Acquire to try
		}
		return
	}
	if time.Since(sh.renewed) >= o.LeaseTTL/3 {
		switch err := sh.st.Renew(ctx, lease, o.LeaseTTL); {
		case err == nil:
			sh.renewed = time.Now()
		case errors.Is(err, ErrLeaseLost):
			o.Logger.Warn("session lease lost to another node", "session", s.id, "node", o.Node)
			s.drop(ErrMoved)
		}
	}
}

// waitShared waits for a change of the mirror, a re-read tick, or ctx.
func (s *Session) waitShared(ctx context.Context, w <-chan struct{}) error {
	t := time.NewTimer(sharedTick)
	defer t.Stop()
	select {
	case <-w:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// sendShared is Send with a shared store: the message is stored (fenced by
// the lease) before Send returns. The owner numbers its messages itself, so
// a retry after an answer lost on the way (a timeout, the store away) is a
// duplicate the store recognizes, never a second copy. While the store is
// away Send waits (and so does the application: memory stays bounded).
func (s *Session) sendShared(ctx context.Context, m Message) error {
	s.sh.sendMu.Lock()
	defer s.sh.sendMu.Unlock()
	var w chan struct{}
	for {
		s.mu.Lock()
		s.sig.Done(w)
		if s.ended != nil {
			err := s.endErrLocked()
			s.mu.Unlock()
			return err
		}
		w = s.waitLocked()
		fence, n, taken := s.sh.lease.Token, s.sh.nextOut+1, s.sh.taken
		if fence != 0 {
			s.sh.appendingLocked(1)
		}
		s.mu.Unlock()
		if fence == 0 {
			return ErrMoved
		}
		sctx, cancel := storeCtx(ctx)
		var ver uint64
		_, appended, err := s.sh.st.Append(sctx, s.id, ToClient, StoredMessage{Seq: n, Binary: m.Binary, Data: m.Data},
			AppendOptions{MaxBytes: s.h.opts.MaxBufferedBytes, Fence: fence, AckIn: taken, Version: &ver})
		cancel()
		if err != nil {
			s.mu.Lock()
			s.sh.appendingLocked(-1)
			s.mu.Unlock()
		}
		switch {
		case err == nil:
			s.mu.Lock()
			s.sh.nextOut = n
			s.sh.last = max(s.sh.last, n)
			s.sh.takenAck = max(s.sh.takenAck, taken)
			s.sh.inAcked = max(s.sh.inAcked, taken)
			// Into the mirror when it has every message before and the
			// budget takes it; else the pump reads it from the store (once
			// the budget grants the mirror's ticket, when it refused it).
			if n == s.out.Last()+1 {
				took := s.mirrorLocked([]StoredMessage{{Seq: n, Binary: m.Binary, Data: m.Data}})
				if appended && (took || s.sh.ticket != nil) {
					// This mirror has the change, or waits for the budget to
					// read it: its wake-up needs no read.
					s.sh.ownLocked(ver)
				}
			}
			s.sh.appendingLocked(-1) // after ownLocked: a wake-up waiting for it finds its version known
			s.sig.Done(w)            // given back, not dropped by the change below: the next call makes no channel
			s.signalLocked()
			s.mu.Unlock()
			return nil
		case errors.Is(err, ErrLeaseLost):
			s.drop(ErrMoved)
			return ErrMoved
		case errors.Is(err, ErrStoreNotFound):
			s.lost()
		case errors.Is(err, ErrStoreFull), s.retryable(ctx, err):
			if err := s.waitShared(ctx, w); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// retryable reports a store failure to wait out (the store away, or one
// operation's timeout), logging it, as opposed to ctx's end.
func (s *Session) retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if errors.Is(err, ErrStoreUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		s.h.opts.Logger.Warn("shared store unavailable; waiting", "session", s.id, "error", err)
		return true
	}
	return false
}

// receiveShared is Receive with a shared store: the owner takes the
// client's messages from the store, in order.
func (s *Session) receiveShared(ctx context.Context) (Message, error) {
	s.sh.recvMu.Lock()
	defer s.sh.recvMu.Unlock()
	var w chan struct{}
	for {
		s.mu.Lock()
		s.sig.Done(w)
		w = s.waitLocked()
		taken, stored, ended, owner := s.sh.taken, s.sh.takenAck, s.ended, s.sh.lease.Token != 0
		recv := s.in.Recv() // the stored recv as this mirror knows it: nothing past it to read
		s.mu.Unlock()
		if !owner {
			// This node handed the session over: what the client sent is
			// the new owner's to take.
			if ended != nil {
				return Message{}, ended
			}
			return Message{}, ErrMoved
		}
		rctx, cancel := storeCtx(ctx)
		var err error
		if taken > stored {
			// The application came back for more: it is done with taken.
			if err = s.sh.st.Ack(rctx, s.id, ToServer, taken); err == nil {
				s.mu.Lock()
				s.sh.takenAck = max(s.sh.takenAck, taken)
				s.mu.Unlock()
			}
		}
		var ms []StoredMessage
		if a := s.sh.ahead; err == nil && len(a) > 0 && a[0].Seq == taken+1 {
			ms = a[:1]
			s.takeAhead()
		} else if err == nil && recv > taken {
			// Read ahead (bounded by the store's per-session buffer); the
			// taken mark still moves one message at a time.
			if ms, err = s.sh.st.Read(rctx, s.id, ToServer, taken+1, s.h.opts.MaxBufferedBytes); len(ms) > 0 {
				s.setAhead(ms[1:])
			}
		}
		cancel()
		switch {
		case err == nil && len(ms) > 0:
			s.mu.Lock()
			s.sh.taken = ms[0].Seq
			s.sig.Done(w)
			s.signalLocked()
			s.mu.Unlock()
			return Message{Binary: ms[0].Binary, Data: ms[0].Data}, nil
		case errors.Is(err, ErrStoreNotFound):
			s.lost()
			s.mu.Lock()
			err := s.endErrLocked()
			s.mu.Unlock()
			return Message{}, err
		case err != nil && !s.retryable(ctx, err):
			return Message{}, err
		case err == nil && ended != nil:
			return Message{}, ended
		}
		if err := s.waitShared(ctx, w); err != nil {
			return Message{}, err
		}
	}
}

// takeAhead drops the first message read ahead (with recvMu held; the
// caller returns it), refunding its charge: constant work per message, not
// a sum over the whole read-ahead.
func (s *Session) takeAhead() {
	sh := s.sh
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(sh.ahead[0].Data)
	s.refundLocked(n)
	sh.aheadBytes -= n
	sh.ahead = sh.ahead[1:] // the caller holds the first: not cleared
}

// setAhead replaces the messages read ahead (with recvMu held) by fresh
// ones, refunding the old ones' charge to the Handler's budget. The fresh
// ones are charged as far as the budget takes them; the rest are dropped
// (Receive reads them from the store again), so the read-ahead holds
// charged bytes only.
func (s *Session) setAhead(ms []StoredMessage) {
	sh := s.sh
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refundLocked(sh.aheadBytes)
	sh.ahead, sh.aheadBytes = nil, 0
	if sh.gone {
		return
	}
	for i, m := range ms {
		if !s.chargeLocked(len(m.Data)) {
			clear(ms[i:]) // not kept: the array must not hold their payload
			ms = ms[:i]
			break
		}
		sh.aheadBytes += len(m.Data)
	}
	if len(ms) > 0 {
		sh.ahead = ms
	}
}

// deliverShared stores a data frame from the client (the store applies the
// receiver rule) before the mirror counts it as received.
func (s *Session) deliverShared(ctx context.Context, f *wire.Frame) error {
	var w chan struct{}
	for {
		s.mu.Lock()
		s.sig.Done(w)
		w = s.waitLocked()
		recv, ended := s.in.Recv(), s.ended
		if f.Seq <= recv || ended != nil {
			s.mu.Unlock()
			return nil // duplicate, or the session ended: the client learns of the end
		}
		s.sh.appendingLocked(1)
		s.mu.Unlock()
		sctx, cancel := storeCtx(ctx)
		var ver uint64
		_, appended, err := s.sh.st.Append(sctx, s.id, ToServer, StoredMessage{Seq: f.Seq, Binary: f.Kind == wire.KindBinary, Data: f.Data},
			AppendOptions{MaxBytes: s.h.opts.MaxBufferedBytes, Version: &ver})
		cancel()
		s.mu.Lock()
		if err == nil && appended {
			s.sh.ownLocked(ver) // this mirror has the change: its wake-up needs no read
		}
		s.sh.appendingLocked(-1)
		s.mu.Unlock()
		switch {
		case err == nil:
			s.mu.Lock()
			s.in.Advance(f.Seq)
			s.sig.Done(w)
			s.signalLocked()
			s.mu.Unlock()
			return nil
		case errors.Is(err, ErrStoreGap):
			return errors.Join(errProtocol, errGap, err)
		case errors.Is(err, ErrStoreFull):
			select {
			case <-s.ctx.Done():
				return nil
			default:
			}
			if err := s.waitShared(ctx, w); err != nil {
				return err
			}
		case errors.Is(err, ErrStoreNotFound):
			s.lost()
			return nil
		default:
			return err
		}
	}
}

// endShared records in the store how the session ended, so every node's
// mirror (and the owner) learns of it.
func (s *Session) endShared(c CloseState) {
	ctx, cancel := storeCtx(context.Background())
	defer cancel()
	if _, err := s.sh.st.End(ctx, s.id, c, s.h.closeGrace()); err != nil && !errors.Is(err, ErrStoreNotFound) {
		s.h.opts.Logger.Warn("could not store the session's end", "session", s.id, "error", err)
	}
}

// shutdownShared hands this node's sessions over: leases released,
// connections closed with 1001 so their clients reconnect, to another node.
func (h *Handler) shutdownShared() {
	for _, s := range h.opts.Store.All() {
		s.drop(ErrShutdown)
	}
}

// expireShared is expire for a mirror: the local TTL measures this node's
// contact only, so the store decides. The owner keeps a session that lives
// on (its client may be on another node); another mirror is forgotten; a
// session the store no longer has has expired.
func (s *Session) expireShared() {
	s.mu.Lock()
	if s.att != nil && s.att.persistent || s.ended != nil {
		s.mu.Unlock()
		return
	}
	owner := s.sh.lease.Token != 0
	s.mu.Unlock()
	if !owner {
		s.drop(ErrMoved)
		return
	}
	ctx, cancel := storeCtx(context.Background())
	_, _, err := s.sh.st.Load(ctx, s.id)
	cancel()
	if errors.Is(err, ErrStoreNotFound) {
		s.lost()
		return
	}
	s.mu.Lock()
	s.armExpiryLocked()
	s.mu.Unlock()
}

// errNodeFull: this node holds MaxSessions sessions and cannot mirror
// another; the request is retryable (the balancer may pick another node).
var errNodeFull = errors.New("tether/server: MaxSessions reached on this node")

// storeDown answers a request the shared store could not serve (or this
// node could not mirror): 503 with Retry-After, a retryable error; the
// session is not lost.
func (h *Handler) storeDown(w http.ResponseWriter, err error) {
	if errors.Is(err, errNodeFull) {
		h.failStatus(w, wire.CodeInternal, http.StatusServiceUnavailable, "this server node is at its session limit; retry", 5*time.Second)
		return
	}
	h.opts.Logger.Warn("shared store unavailable", "error", err)
	h.failStatus(w, wire.CodeInternal, http.StatusServiceUnavailable, "the shared session store is unavailable; retry", time.Second)
}
