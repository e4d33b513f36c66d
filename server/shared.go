package server

import (
	"context"
	"errors"
	"time"
)

// SharedStore keeps the state of sessions where several server nodes reach
// it: the session record, the sequence state and the unacknowledged messages
// of both directions, and an owner lease. It is the seam for running N nodes
// behind a balancer with no stickiness (the "Several nodes" section of the
// package documentation); package redisstore implements it on Redis.
//
// Every method is safe for concurrent use by many nodes. The in-memory Store
// (Options.Store) stays the default and never goes through a SharedStore.
//
// Errors: ErrStoreExists from Create, ErrStoreNotFound for a session that does not exist (expired,
// deleted, or lost with a store that restarted), ErrStoreGap, ErrStoreFull,
// ErrStoreAckAhead, ErrLeaseHeld and ErrLeaseLost as documented per method,
// and an error wrapping ErrStoreUnavailable when the store cannot be
// reached.
type SharedStore interface {
	// Create stores a new session record; every key of the session expires
	// ttl after the last Touch.
	Create(ctx context.Context, rec SessionRecord, ttl time.Duration) error
	// Load returns the record and the sequence state of session sid.
	Load(ctx context.Context, sid string) (SessionRecord, SeqState, error)
	// Touch extends the life of every key of the session to ttl from now,
	// and marks the session established.
	Touch(ctx context.Context, sid string, ttl time.Duration) error
	// End records how the session ended (the first End wins; later ones
	// return the first one's CloseState) and keeps it findable for grace,
	// so a client can still collect the close.
	End(ctx context.Context, sid string, c CloseState, grace time.Duration) (CloseState, error)
	// Delete forgets the session at once.
	Delete(ctx context.Context, sid string) error

	// Append adds m to direction d. With m.Seq 0 the store assigns the next
	// seq; otherwise the receiver rule applies atomically: a seq at or below
	// the last one is a duplicate (appended false, no error: a retry), one
	// past last+1 is ErrStoreGap. When the unacknowledged bytes of d plus m's
	// exceed o.MaxBytes and d holds a message already, it is ErrStoreFull:
	// wait for Watch and try again. A non-zero o.Fence must equal the
	// session's current lease token, else ErrLeaseLost (a node that lost its
	// lease cannot send). o.AckIn, with d ToClient, acks ToServer up to it in
	// the same step (the owner's reply and its taking the message it answers
	// happen together: exactly once across a takeover). It returns m's seq.
	// m.Data is the caller's and valid only during the call (the server
	// reuses its read buffers): a store that keeps it keeps a copy.
	Append(ctx context.Context, sid string, d Direction, m StoredMessage, o AppendOptions) (seq uint64, appended bool, err error)
	// Read returns the messages of d from seq from on, in order, about
	// maxBytes of payload (at least one message when there is one).
	Read(ctx context.Context, sid string, d Direction, from uint64, maxBytes int) ([]StoredMessage, error)
	// Ack drops the messages of d up to n: for ToClient, the client's ack;
	// for ToServer, the owner has taken them (Session.Receive). A stale n
	// does nothing; n past the last seq is ErrStoreAckAhead.
	Ack(ctx context.Context, sid string, d Direction, n uint64) error

	// Sync is a mirror's one round trip to the store (a wake-up, a re-read,
	// a request): it stores q.Ack (the client's ack of ToClient, as Ack
	// does; 0: none) and q.Touch (as Touch with that ttl; 0: none), then
	// returns the session's state and, when q.From is not 0, the messages
	// to the client from q.From on (about q.MaxBytes of payload, at least
	// one when there is one; none when From is past Out.Last). Errors as
	// Ack's and Touch's.
	Sync(ctx context.Context, sid string, q SyncRequest) (SyncResult, error)

	// Acquire makes node the owner of session sid for ttl (the node runs
	// the application's serve function for it) unless another node holds a
	// live lease (ErrLeaseHeld). The lease's token increases with every
	// acquisition; it fences Append.
	Acquire(ctx context.Context, sid, node string, ttl time.Duration) (Lease, error)
	// Renew extends a lease by ttl, or returns ErrLeaseLost when it expired
	// and another node took it (or the session is gone).
	Renew(ctx context.Context, l Lease, ttl time.Duration) error
	// Release gives a lease up at once so another node can take over.
	Release(ctx context.Context, l Lease) error

	// Watch returns a channel that receives (coalesced) after any change to
	// session sid: an append, an ack, an end, a lease released. What it
	// receives is the session's version after the change (the highest of
	// the coalesced ones), or 0 when unknown (the session deleted; any
	// change a store does not number): a mirror whose state is at that
	// version already (SyncResult.Version, AppendOptions.Version) need not
	// read it again. Changes between the call and the subscription
	// becoming active may be missed, and so may changes while the store is
	// unreachable: a waiter re-reads the state after Watch returns and at
	// least every few seconds. stop ends the watch.
	Watch(sid string) (wake <-chan uint64, stop func())
}

// MergeVersions coalesces two wake-ups of SharedStore.Watch: the higher
// version, 0 (unknown) when either is.
func MergeVersions(a, b uint64) uint64 {
	if a == 0 || b == 0 {
		return 0
	}
	return max(a, b)
}

// AppendOptions are the conditions and side effects of one Append.
type AppendOptions struct {
	MaxBytes int    // bound on the direction's unacknowledged bytes (one message always fits)
	Fence    uint64 // the owner's lease token; 0: no check (the client's messages)
	AckIn    uint64 // with ToClient: ack ToServer up to this too; 0: none
	// Version, when not nil, receives the session's version after the
	// Append (as SyncResult.Version): one past the caller's known version
	// means no other change came between.
	Version *uint64
}

// SyncRequest is what one SharedStore.Sync stores and reads.
type SyncRequest struct {
	Ack      uint64        // the client's ack of the messages to it; 0: none
	Touch    time.Duration // extend the session's life to this; 0: no touch
	From     uint64        // read the messages to the client from this seq; 0: no read
	MaxBytes int           // about how much payload to read
	Owner    bool          // report whether a node holds the owner lease (SyncResult.Unowned)
}

// SyncResult is the state a SharedStore.Sync returns.
type SyncResult struct {
	Established bool
	Closed      *CloseState // nil while the session lives
	State       SeqState
	Out         []StoredMessage // the messages to the client from SyncRequest.From on
	Unowned     bool            // with SyncRequest.Owner: no node holds a live lease (Acquire would succeed)
	// Version numbers the session's changes the messages, acks, end and
	// lease release: it grows by one with each (0: a new session).
	Version uint64
}

// Direction is one direction of a session's messages.
type Direction uint8

const (
	// ToClient: messages the application sent (Session.Send).
	ToClient Direction = iota
	// ToServer: messages the client sent (Session.Receive).
	ToServer
)

func (d Direction) String() string {
	if d == ToServer {
		return "to-server"
	}
	return "to-client"
}

// StoredMessage is a message with its seq, as a SharedStore keeps it.
type StoredMessage struct {
	Seq    uint64
	Binary bool
	Data   []byte
}

// SessionRecord is what a SharedStore keeps about a session besides its
// messages. What Options.Authenticate returned is kept only as
// Options.SharedAuth encodes it (Auth).
type SessionRecord struct {
	ID          string
	Key         string
	Auth        []byte // Options.SharedAuth's encoding of Session.Auth; nil: none
	Established bool   // the client came back after the request that started it
	Remote      RemoteInfo
	Closed      *CloseState // how the session ended; nil while it lives
}

// CloseState is how a session ended, as a SharedStore keeps it.
type CloseState struct {
	Code     int
	Reason   string
	ByClient bool
	Expired  bool // the TTL passed; Code and Reason are empty
}

// SeqState is the sequence state of both directions of a session.
type SeqState struct {
	// ToClient: Last is the last seq the application sent, Acked the
	// client's ack, Bytes the payload bytes of Acked+1..Last.
	// ToServer: Last is the server's recv (what it acks to the client),
	// Acked what the owner has taken, Bytes the bytes not yet taken.
	Out, In DirState
}

// DirState is the sequence state of one direction.
type DirState struct {
	Last, Acked uint64
	Bytes       int64
}

// Lease is a node's ownership of a session.
type Lease struct {
	SID   string
	Node  string
	Token uint64
}

// Errors of a SharedStore, matched with errors.Is.
var (
	ErrStoreNotFound    = errors.New("tether/server: session not in the shared store (expired, ended, or lost)")
	ErrStoreGap         = errors.New("tether/server: message seq past the last one + 1")
	ErrStoreFull        = errors.New("tether/server: session buffer full; wait for acks")
	ErrStoreAckAhead    = errors.New("tether/server: ack of a message never stored")
	ErrLeaseHeld        = errors.New("tether/server: another node owns the session")
	ErrLeaseLost        = errors.New("tether/server: the session's lease was lost to another node")
	ErrStoreUnavailable = errors.New("tether/server: shared store unavailable")
	ErrStoreExists      = errors.New("tether/server: a session with this id is stored already")
)
