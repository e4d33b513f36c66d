// Package redisstore is a server.SharedStore on Redis (github.com/redis/go-redis/v9):
// several Tether server nodes share their sessions through it.
//
// # Layout
//
// Every key of a session carries the session id as a hash tag, so a
// session's keys live in one Redis Cluster slot (Open with a
// redis+cluster:// URL, or New with a *redis.ClusterClient; TestCluster runs
// the conformance suite on three masters) and each operation is one atomic
// Lua script:
//
//	tether:{sid}:m  hash: key, remote, auth, lease fence, close state, and per
//	                direction the last seq, the acked seq and the bytes held
//	tether:{sid}:o  stream of the messages to the client, entry ids 0-<seq>
//	tether:{sid}:i  stream of the messages from the client, entry ids 0-<seq>
//	tether:{sid}:l  the owner lease, "node|token", with its own expiry
//	tether:{sid}:w  pub/sub channel: a change happened (wake-ups)
//
// The hash and both streams expire with the session TTL (Touch extends all
// three); acknowledged entries are trimmed at once (XTRIM MINID), so a
// session holds at most its unacknowledged messages.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tether-sdk/tether/server"
)

// DefaultPrefix starts every key when Options.Prefix is empty.
const DefaultPrefix = "tether:"

// readCount bounds the stream entries one Read fetches.
const readCount = 512

// Options configure a Store. A nil *Options means all defaults.
type Options struct {
	// Prefix starts every key and channel name, so several applications
	// can share one Redis. Empty: DefaultPrefix ("tether:").
	Prefix string
	// SubscribeTimeout bounds the subscription Watch makes. Zero: 2 s.
	SubscribeTimeout time.Duration
}

// Store is a server.SharedStore on Redis. Close it when done.
type Store struct {
	rdb    redis.UniversalClient
	own    bool // rdb was opened by Open: Close closes it
	prefix string
	subTO  time.Duration

	mu     sync.Mutex
	ps     *redis.PubSub
	subs   map[string]map[chan uint64]struct{} // channel -> watchers
	closed bool
	done   chan struct{} // the dispatch goroutine ended
}

var _ server.SharedStore = (*Store)(nil)

// New returns a Store on rdb (a *redis.Client, *redis.ClusterClient or
// *redis.Ring... any UniversalClient). Closing the Store does not close rdb.
func New(rdb redis.UniversalClient, opts *Options) *Store {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.SubscribeTimeout <= 0 {
		o.SubscribeTimeout = 2 * time.Second
	}
	return &Store{rdb: rdb, prefix: o.Prefix, subTO: o.SubscribeTimeout, subs: map[string]map[chan uint64]struct{}{}}
}

// ErrBadURL: the Redis URL cannot be used.
var ErrBadURL = errors.New("redisstore: bad Redis URL (want redis://[user:password@]host:port/db, rediss:// for TLS, or redis+cluster://host:port,host:port,... for a Redis Cluster)")

// Open connects to the Redis at url and checks that it answers. The Store
// closes the client on Close. url is one of
//
//	redis://[user:password@]host:port/db   one Redis (rediss:// for TLS)
//	redis+cluster://[user:password@]host:port,host:port,...
//	                                       a Redis Cluster: any of its nodes
//	                                       (rediss+cluster:// for TLS; db 0 only)
//
// go-redis's query options (dial_timeout=3s, pool_size=...) may follow.
func Open(ctx context.Context, url string, opts *Options) (*Store, error) {
	var rdb redis.UniversalClient
	var addr string
	if scheme, rest, ok := strings.Cut(url, "+cluster://"); ok {
		co, err := parseClusterURL(scheme, rest)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadURL, err)
		}
		rdb, addr = redis.NewClusterClient(co), strings.Join(co.Addrs, ",")
	} else {
		ro, err := redis.ParseURL(url)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadURL, err)
		}
		rdb, addr = redis.NewClient(ro), ro.Addr
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, unavailable("ping "+addr, err)
	}
	st := New(rdb, opts)
	st.own = true
	return st, nil
}

// parseClusterURL reads scheme+cluster://[userinfo@]host:port,host:port/[0][?query]
// into go-redis's cluster options (its own URL form names the further
// nodes in addr= parameters).
func parseClusterURL(scheme, rest string) (*redis.ClusterOptions, error) {
	if scheme != "redis" && scheme != "rediss" {
		return nil, fmt.Errorf("scheme %s+cluster (want redis+cluster or rediss+cluster)", scheme)
	}
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	userinfo := ""
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, authority = authority[:i+1], authority[i+1:]
	}
	hosts := strings.Split(authority, ",")
	for _, h := range hosts {
		if h == "" {
			return nil, errors.New("an empty node address in the cluster's list")
		}
	}
	path, query, _ := strings.Cut(tail, "?")
	if path != "" && path != "/" && path != "/0" {
		return nil, fmt.Errorf("database %s: a Redis Cluster has database 0 only", strings.TrimPrefix(path, "/"))
	}
	for _, h := range hosts[1:] {
		if query != "" {
			query += "&"
		}
		query += "addr=" + h
	}
	u := scheme + "://" + userinfo + hosts[0]
	if query != "" {
		u += "?" + query
	}
	return redis.ParseClusterURL(u)
}

// Close ends the watch subscription, and the client if Open made it.
func (st *Store) Close() error {
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return nil
	}
	st.closed = true
	ps, done := st.ps, st.done
	st.mu.Unlock()
	if ps != nil {
		ps.Close()
		<-done
	}
	if st.own {
		return st.rdb.Close()
	}
	return nil
}

// Ping checks that Redis answers.
func (st *Store) Ping(ctx context.Context) error {
	if err := st.rdb.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// unavailable wraps a Redis failure; context errors stay as they are.
func unavailable(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: redis %s: %w", server.ErrStoreUnavailable, op, err)
}

// key returns the name of one of session sid's keys.
func (st *Store) key(sid, kind string) string { return st.prefix + "{" + sid + "}:" + kind }

// validID: session ids are base64url; anything else (a brace would break
// the hash tag) is not a session.
func validID(sid string) bool {
	if sid == "" || len(sid) > 128 {
		return false
	}
	for _, c := range []byte(sid) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func ms(d time.Duration) int64 { return max(d.Milliseconds(), 1) }

func dirKey(d server.Direction) (field, stream string) {
	if d == server.ToServer {
		return "i", "i"
	}
	return "o", "o"
}

func (st *Store) Create(ctx context.Context, rec server.SessionRecord, ttl time.Duration) error {
	if !validID(rec.ID) {
		return fmt.Errorf("redisstore: session id %q is not base64url", rec.ID)
	}
	remote, err := json.Marshal(rec.Remote)
	if err != nil {
		return fmt.Errorf("redisstore: remote info: %w", err)
	}
	n, err := scriptCreate.Run(ctx, st.rdb, []string{st.key(rec.ID, "m")}, rec.Key, remote, ms(ttl), rec.Auth).Int()
	if err != nil {
		return unavailable("create", err)
	}
	if n == 0 {
		return server.ErrStoreExists
	}
	return nil
}

func (st *Store) Load(ctx context.Context, sid string) (server.SessionRecord, server.SeqState, error) {
	if !validID(sid) {
		return server.SessionRecord{}, server.SeqState{}, server.ErrStoreNotFound
	}
	m, err := st.rdb.HGetAll(ctx, st.key(sid, "m")).Result()
	if err != nil {
		return server.SessionRecord{}, server.SeqState{}, unavailable("load", err)
	}
	if len(m) == 0 {
		return server.SessionRecord{}, server.SeqState{}, server.ErrStoreNotFound
	}
	rec := server.SessionRecord{ID: sid, Key: m["k"], Established: m["e"] == "1"}
	if a, ok := m["a"]; ok {
		rec.Auth = []byte(a)
	}
	if r := m["r"]; r != "" {
		if err := json.Unmarshal([]byte(r), &rec.Remote); err != nil {
			return server.SessionRecord{}, server.SeqState{}, fmt.Errorf("redisstore: session %s: stored remote info: %w", sid, err)
		}
	}
	if m["c"] == "1" {
		rec.Closed = closeState(m["cc"], m["cr"], m["cb"], m["cx"])
	}
	u := func(f string) uint64 { n, _ := strconv.ParseUint(m[f], 10, 64); return n }
	i := func(f string) int64 { n, _ := strconv.ParseInt(m[f], 10, 64); return n }
	return rec, server.SeqState{
		Out: server.DirState{Last: u("ol"), Acked: u("oa"), Bytes: i("ob")},
		In:  server.DirState{Last: u("il"), Acked: u("ia"), Bytes: i("ib")},
	}, nil
}

func closeState(code, reason, by, expired string) *server.CloseState {
	c, _ := strconv.Atoi(code)
	return &server.CloseState{Code: c, Reason: reason, ByClient: by == "1", Expired: expired == "1"}
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func (st *Store) keys(sid string) []string {
	return []string{st.key(sid, "m"), st.key(sid, "o"), st.key(sid, "i")}
}

func (st *Store) Touch(ctx context.Context, sid string, ttl time.Duration) error {
	if !validID(sid) {
		return server.ErrStoreNotFound
	}
	n, err := scriptTouch.Run(ctx, st.rdb, st.keys(sid), ms(ttl)).Int()
	if err != nil {
		return unavailable("touch", err)
	}
	if n == 0 {
		return server.ErrStoreNotFound
	}
	return nil
}

func (st *Store) End(ctx context.Context, sid string, c server.CloseState, grace time.Duration) (server.CloseState, error) {
	if !validID(sid) {
		return server.CloseState{}, server.ErrStoreNotFound
	}
	v, err := scriptEnd.Run(ctx, st.rdb, st.keys(sid), c.Code, c.Reason, flag(c.ByClient), flag(c.Expired),
		ms(grace), st.key(sid, "w")).Slice()
	if err != nil {
		return server.CloseState{}, unavailable("end", err)
	}
	switch v[0].(int64) {
	case 0:
		return server.CloseState{}, server.ErrStoreNotFound
	case 1:
		str := func(x any) string { s, _ := x.(string); return s }
		return *closeState(str(v[1]), str(v[2]), str(v[3]), str(v[4])), nil
	}
	return c, nil
}

func (st *Store) Delete(ctx context.Context, sid string) error {
	if !validID(sid) {
		return nil
	}
	if err := st.rdb.Del(ctx, append(st.keys(sid), st.key(sid, "l"))...).Err(); err != nil {
		return unavailable("delete", err)
	}
	if err := st.rdb.Publish(ctx, st.key(sid, "w"), "d").Err(); err != nil {
		return unavailable("delete", err)
	}
	return nil
}

func (st *Store) Append(ctx context.Context, sid string, d server.Direction, m server.StoredMessage, o server.AppendOptions) (uint64, bool, error) {
	if !validID(sid) {
		return 0, false, server.ErrStoreNotFound
	}
	f, s := dirKey(d)
	ackIn := uint64(0)
	if d == server.ToClient {
		ackIn = o.AckIn
	}
	v, err := scriptAppend.Run(ctx, st.rdb, []string{st.key(sid, "m"), st.key(sid, s), st.key(sid, "i")},
		f, strconv.FormatUint(m.Seq, 10), flag(m.Binary), m.Data, o.MaxBytes, strconv.FormatUint(o.Fence, 10), st.key(sid, "w"),
		strconv.FormatUint(ackIn, 10)).Int64Slice()
	if err != nil {
		return 0, false, unavailable("append", err)
	}
	if v[0] >= 0 && len(v) > 2 && o.Version != nil {
		*o.Version = uint64(v[2])
	}
	switch v[0] {
	case 1:
		return uint64(v[1]), true, nil
	case 0:
		return uint64(v[1]), false, nil
	case -1:
		return 0, false, server.ErrStoreNotFound
	case -2:
		return 0, false, server.ErrLeaseLost
	case -3:
		return 0, false, fmt.Errorf("%w: seq %d after %d", server.ErrStoreGap, m.Seq, v[1])
	case -5:
		return 0, false, fmt.Errorf("%w: ack %d of the messages to the server", server.ErrStoreAckAhead, o.AckIn)
	default:
		return 0, false, server.ErrStoreFull
	}
}

func (st *Store) Read(ctx context.Context, sid string, d server.Direction, from uint64, maxBytes int) ([]server.StoredMessage, error) {
	if !validID(sid) {
		return nil, server.ErrStoreNotFound
	}
	_, s := dirKey(d)
	v, err := scriptRead.Run(ctx, st.rdb, []string{st.key(sid, "m"), st.key(sid, s)}, strconv.FormatUint(from, 10), readCount).Result()
	if err != nil {
		return nil, unavailable("read", err)
	}
	entries, ok := v.([]any)
	if !ok {
		return nil, server.ErrStoreNotFound
	}
	out, err := parseEntries(entries, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("redisstore: session %s: %w", sid, err)
	}
	return out, nil
}

// parseEntries reads XRANGE entries, about maxBytes of payload (at least
// one entry when there is one).
func parseEntries(entries []any, maxBytes int) ([]server.StoredMessage, error) {
	out := make([]server.StoredMessage, 0, len(entries))
	size := 0
	for _, e := range entries {
		m, err := parseEntry(e)
		if err != nil {
			return nil, err
		}
		if len(out) > 0 && size+len(m.Data) > maxBytes {
			break
		}
		size += len(m.Data)
		out = append(out, m)
	}
	return out, nil
}

func (st *Store) Sync(ctx context.Context, sid string, q server.SyncRequest) (server.SyncResult, error) {
	if !validID(sid) {
		return server.SyncResult{}, server.ErrStoreNotFound
	}
	ttl := int64(0)
	if q.Touch > 0 {
		ttl = ms(q.Touch)
	}
	v, err := scriptSync.Run(ctx, st.rdb, append(st.keys(sid), st.key(sid, "l")), strconv.FormatUint(q.Ack, 10), ttl,
		strconv.FormatUint(q.From, 10), readCount, st.key(sid, "w"), flag(q.Owner)).Result()
	if err != nil {
		return server.SyncResult{}, unavailable("sync", err)
	}
	r, ok := v.([]any)
	if !ok {
		if n, _ := v.(int64); n == -5 {
			return server.SyncResult{}, fmt.Errorf("%w: ack %d (%s)", server.ErrStoreAckAhead, q.Ack, server.ToClient)
		}
		return server.SyncResult{}, server.ErrStoreNotFound
	}
	if len(r) != 15 {
		return server.SyncResult{}, fmt.Errorf("redisstore: session %s: malformed sync reply (%d fields)", sid, len(r))
	}
	str := func(i int) string { s, _ := r[i].(string); return s }
	u := func(i int) uint64 { n, _ := strconv.ParseUint(str(i), 10, 64); return n }
	unowned, _ := r[13].(int64)
	res := server.SyncResult{Established: str(1) == "1", Unowned: unowned == 1, Version: u(14), State: server.SeqState{
		Out: server.DirState{Last: u(2), Acked: u(3), Bytes: int64(u(4))},
		In:  server.DirState{Last: u(5), Acked: u(6), Bytes: int64(u(7))},
	}}
	if str(0) == "1" {
		res.Closed = closeState(str(8), str(9), str(10), str(11))
	}
	entries, _ := r[12].([]any)
	if res.Out, err = parseEntries(entries, q.MaxBytes); err != nil {
		return server.SyncResult{}, fmt.Errorf("redisstore: session %s: %w", sid, err)
	}
	return res, nil
}

// parseEntry reads one XRANGE entry: [id, [field, value, ...]].
func parseEntry(e any) (server.StoredMessage, error) {
	pair, ok := e.([]any)
	if !ok || len(pair) != 2 {
		return server.StoredMessage{}, fmt.Errorf("malformed stream entry %v", e)
	}
	id, _ := pair[0].(string)
	n, err := strconv.ParseUint(strings.TrimPrefix(id, "0-"), 10, 64)
	if err != nil || !strings.HasPrefix(id, "0-") {
		return server.StoredMessage{}, fmt.Errorf("malformed stream entry id %q", id)
	}
	m := server.StoredMessage{Seq: n, Data: []byte{}}
	fields, _ := pair[1].([]any)
	for i := 0; i+1 < len(fields); i += 2 {
		k, _ := fields[i].(string)
		v, _ := fields[i+1].(string)
		switch k {
		case "b":
			m.Binary = v == "1"
		case "d":
			m.Data = []byte(v)
		}
	}
	return m, nil
}

func (st *Store) Ack(ctx context.Context, sid string, d server.Direction, n uint64) error {
	if !validID(sid) {
		return server.ErrStoreNotFound
	}
	f, s := dirKey(d)
	r, err := scriptAck.Run(ctx, st.rdb, []string{st.key(sid, "m"), st.key(sid, s)}, f, strconv.FormatUint(n, 10), st.key(sid, "w")).Int()
	if err != nil {
		return unavailable("ack", err)
	}
	switch r {
	case -1:
		return server.ErrStoreNotFound
	case -5:
		return fmt.Errorf("%w: ack %d (%s)", server.ErrStoreAckAhead, n, d)
	}
	return nil
}

func holder(l server.Lease) string { return l.Node + "|" + strconv.FormatUint(l.Token, 10) }

func (st *Store) Acquire(ctx context.Context, sid, node string, ttl time.Duration) (server.Lease, error) {
	if !validID(sid) {
		return server.Lease{}, server.ErrStoreNotFound
	}
	t, err := scriptAcquire.Run(ctx, st.rdb, []string{st.key(sid, "m"), st.key(sid, "l")}, node, ms(ttl)).Int64()
	if err != nil {
		return server.Lease{}, unavailable("acquire", err)
	}
	switch {
	case t < 0:
		return server.Lease{}, server.ErrStoreNotFound
	case t == 0:
		return server.Lease{}, server.ErrLeaseHeld
	}
	return server.Lease{SID: sid, Node: node, Token: uint64(t)}, nil
}

func (st *Store) Renew(ctx context.Context, l server.Lease, ttl time.Duration) error {
	if !validID(l.SID) {
		return server.ErrLeaseLost
	}
	n, err := scriptRenew.Run(ctx, st.rdb, []string{st.key(l.SID, "l")}, holder(l), ms(ttl)).Int()
	if err != nil {
		return unavailable("renew", err)
	}
	if n == 0 {
		return server.ErrLeaseLost
	}
	return nil
}

func (st *Store) Release(ctx context.Context, l server.Lease) error {
	if !validID(l.SID) {
		return nil
	}
	if err := scriptRelease.Run(ctx, st.rdb, []string{st.key(l.SID, "l"), st.key(l.SID, "m")}, holder(l), st.key(l.SID, "w")).Err(); err != nil {
		return unavailable("release", err)
	}
	return nil
}

// Client is the Redis client the Store uses (for an application's own
// cross-node messages, such as a chat's broadcast).
func (st *Store) Client() redis.UniversalClient { return st.rdb }
