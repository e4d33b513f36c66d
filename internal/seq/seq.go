// Package seq holds the sequence-number bookkeeping both ends of a Tether
// session share: an Outbox of sent data waiting for acks (replayed on
// resume), and a Receiver that delivers each seq once and in order. Neither
// is safe for concurrent use; the session that owns them locks.
package seq

import (
	"errors"

	"github.com/tether-sdk/tether/internal/xfmt"
)

// Msg is one data message with its sequence number.
type Msg struct {
	Seq    uint64
	Binary bool
	Data   []byte
}

// ErrAckAhead: the peer acknowledged a seq that was never sent.
var ErrAckAhead = errors.New("tether/seq: ack of a message never sent")

// Outbox keeps sent messages until the peer acknowledges them. Seqs start at 1.
type Outbox struct {
	msgs  []Msg // msgs[head:] are unacknowledged, in seq order
	head  int
	bytes int    // payload bytes of msgs[head:]
	last  uint64 // seq of the last message pushed
	acked uint64 // highest seq acknowledged
}

// Push appends a message and returns it with its seq. The Outbox keeps data
// (it must not be modified afterwards).
func (o *Outbox) Push(binary bool, data []byte) Msg {
	o.last++
	m := Msg{Seq: o.last, Binary: binary, Data: data}
	o.msgs = append(o.msgs, m)
	o.bytes += len(data)
	return m
}

// Ack drops every message with seq <= n. An ack below the current one is
// ignored (acks are cumulative and may arrive late); one above Last is an
// error.
func (o *Outbox) Ack(n uint64) error {
	if n > o.last {
		return xfmt.Errorf("%w: ack %d, last sent %d", ErrAckAhead, n, o.last)
	}
	for o.head < len(o.msgs) && o.msgs[o.head].Seq <= n {
		o.bytes -= len(o.msgs[o.head].Data)
		o.msgs[o.head] = Msg{}
		o.head++
	}
	if n > o.acked {
		o.acked = n
	}
	// Compact once the dead prefix dominates, so memory follows the backlog.
	if o.head > 32 && o.head*2 >= len(o.msgs) {
		n := copy(o.msgs, o.msgs[o.head:])
		clear(o.msgs[n:])
		o.msgs = o.msgs[:n]
		o.head = 0
	}
	return nil
}

// From appends to dst the unacknowledged messages with seq >= from, in order,
// stopping once more than maxBytes of payload were appended (at least one
// message is appended when there is one; maxBytes <= 0 means no bound).
func (o *Outbox) From(dst []Msg, from uint64, maxBytes int) []Msg {
	pending := o.msgs[o.head:]
	if len(pending) == 0 || from > o.last {
		return dst
	}
	i := 0
	if first := pending[0].Seq; from > first {
		i = int(from - first)
	}
	total := 0
	for ; i < len(pending); i++ {
		dst = append(dst, pending[i])
		total += len(pending[i].Data)
		if maxBytes > 0 && total >= maxBytes {
			break
		}
	}
	return dst
}

// BytesThrough is the payload of the unacknowledged messages with seq <= n:
// what an ack of n frees. It stops counting once the total reaches upTo
// (<= 0: no bound), so asking whether an ack frees that much costs no more
// than that much.
func (o *Outbox) BytesThrough(n uint64, upTo int) int {
	total := 0
	for _, m := range o.msgs[o.head:] {
		if m.Seq > n || (upTo > 0 && total >= upTo) {
			break
		}
		total += len(m.Data)
	}
	return total
}

// Unacked returns a copy of the unacknowledged messages.
func (o *Outbox) Unacked() []Msg { return append([]Msg(nil), o.msgs[o.head:]...) }

// Last is the seq of the last message pushed (0: none).
func (o *Outbox) Last() uint64 { return o.last }

// Acked is the highest seq acknowledged.
func (o *Outbox) Acked() uint64 { return o.acked }

// Len is the number of unacknowledged messages.
func (o *Outbox) Len() int { return len(o.msgs) - o.head }

// Bytes is the payload size of the unacknowledged messages.
func (o *Outbox) Bytes() int { return o.bytes }

// Verdict is what a Receiver decides about an incoming seq.
type Verdict int

const (
	Deliver   Verdict = iota // the next seq: deliver it
	Duplicate                // already delivered: drop it (and ack again)
	Gap                      // beyond the next seq: a protocol error
)

// Receiver delivers seqs exactly once and in order.
type Receiver struct{ recv uint64 }

// Accept judges seq and, for Deliver, advances Recv.
func (r *Receiver) Accept(seq uint64) Verdict {
	switch {
	case seq <= r.recv:
		return Duplicate
	case seq == r.recv+1:
		r.recv = seq
		return Deliver
	default:
		return Gap
	}
}

// Recv is the highest seq delivered (0: none): the cumulative ack to send.
func (r *Receiver) Recv() uint64 { return r.recv }

// Skip empties the Outbox and continues at n: Last and Acked become n (the
// server's mirror of a shared session whose earlier messages were acked
// elsewhere).
func (o *Outbox) Skip(n uint64) {
	clear(o.msgs)
	o.msgs, o.head, o.bytes, o.last, o.acked = o.msgs[:0], 0, 0, n, n
}

// Advance raises Recv to n (seqs up to n were delivered elsewhere); a lower
// n does nothing.
func (r *Receiver) Advance(n uint64) {
	if n > r.recv {
		r.recv = n
	}
}
