package sse

import "math"

// Default limits. They admit a 1 MiB payload plus the field name, separator
// and line ending around it (or the "\n"s joining a multi-line payload),
// with room to spare.
const (
	// DefaultMaxLineBytes is the default Options.MaxLineBytes, 1 MiB + 4 KiB.
	DefaultMaxLineBytes = 1<<20 + 4<<10

	// DefaultMaxEventBytes is the default Options.MaxEventBytes, 1 MiB + 4 KiB.
	DefaultMaxEventBytes = 1<<20 + 4<<10
)

// Options configures a Reader. The zero value (or a nil *Options) gives the
// default limits, no comment callback and an empty initial last event ID.
type Options struct {
	// MaxLineBytes bounds one line, excluding its line ending. Longer lines,
	// comments and unknown fields included, stop the reader with
	// ErrTooLarge. Zero or negative means DefaultMaxLineBytes.
	MaxLineBytes int

	// MaxEventBytes bounds an event's Data, counted in bytes as received
	// (including the "\n" between data lines). Exceeding it stops the reader
	// with ErrTooLarge. Zero or negative means DefaultMaxEventBytes.
	//
	// Together they bound a Reader's buffers: at most MaxEventBytes for the
	// data plus MaxLineBytes each for the current line, the event type and
	// the last event ID (input is not otherwise retained).
	MaxEventBytes int

	// LastEventID is the initial value of the last event ID buffer. A
	// client resuming a stream passes the previous Reader's LastEventID so
	// that events without an "id" field keep carrying it.
	LastEventID string

	// OnComment, if not nil, is called with the text of every comment line
	// (a line starting with ":"), after the colon and one optional space.
	// Servers send comments as keep-alives, so this is a liveness signal. It
	// runs synchronously inside Reader.Next.
	OnComment func(text string)
}

// maxLimit keeps limit arithmetic (limit+1, doubling) from overflowing;
// no buffer that large could be allocated anyway.
const maxLimit = math.MaxInt / 4

func (o *Options) maxLine() int {
	if o == nil {
		return DefaultMaxLineBytes
	}
	return limit(o.MaxLineBytes, DefaultMaxLineBytes)
}

func (o *Options) maxEvent() int {
	if o == nil {
		return DefaultMaxEventBytes
	}
	return limit(o.MaxEventBytes, DefaultMaxEventBytes)
}

func limit(v, def int) int {
	if v <= 0 {
		return def
	}
	return min(v, maxLimit)
}
