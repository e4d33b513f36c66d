package sse

import (
	"bytes"
	"io"
	"time"
	"unicode/utf8"
)

// Reader parses an event stream. It is not safe for concurrent use.
type Reader struct {
	lines     lineReader
	maxEvent  int
	onComment func(string)
	dataMode  int    // how dispatch hands out the data: in Event.Data, or in bytes
	bytes     []byte // the data of the event NextBytes or NextView returns
	decoded   []byte // NextView's buffer for data that is not valid UTF-8

	data   []byte // data buffer
	typ    []byte // event type buffer
	id     []byte // last event ID buffer
	lastID string // last event ID string: the buffer as of the last blank line
	lastTy string // the last non-default Type handed out, reused when equal

	retry, blockRetry       time.Duration
	retrySet, blockRetrySet bool

	inBlock bool  // a field line was seen since the last blank line
	err     error // sticky
}

// NewReader returns a Reader that parses the event stream read from r.
// A nil opts means the zero Options.
func NewReader(r io.Reader, opts *Options) *Reader {
	rd := &Reader{
		lines:    newLineReader(r, opts.maxLine()),
		maxEvent: opts.maxEvent(),
	}
	if opts != nil {
		rd.onComment = opts.OnComment
		rd.id = []byte(opts.LastEventID)
		rd.lastID = opts.LastEventID
	}
	return rd
}

// Next reads until the next event is dispatched and returns it.
//
// At the end of the stream Next returns io.EOF if the stream ended between
// events, and io.ErrUnexpectedEOF if it ended inside one: after a field
// line with no blank line following it, or in the middle of a line. The
// incomplete event is discarded in both cases, as the standard requires.
// A line or event over the limits yields an error matching ErrTooLarge,
// and an error from the underlying reader is returned wrapped in an
// *Error. Errors are sticky: once Next has failed it keeps returning the
// same error.
func (r *Reader) Next() (Event, error) {
	if r.err != nil {
		return Event{}, r.err
	}
	for {
		line, err := r.lines.readLine()
		if err == io.EOF && r.inBlock {
			err = io.ErrUnexpectedEOF
		}
		if err == nil && len(line) == 0 {
			if ev, ok := r.dispatch(); ok {
				return ev, nil
			}
			continue
		}
		if err == nil {
			// The usual event, one data line and the blank line that
			// ends it, both in the buffer: dispatched from the buffer,
			// without the copy into the data buffer.
			if v, ok := dataValue(line); ok && len(r.data) == 0 && r.lines.blankNext() {
				if len(v) <= r.maxEvent {
					ev := r.endBlock()
					r.setData(&ev, v)
					return ev, nil
				}
				err = tooLarge("data", r.maxEvent)
			} else {
				err = r.field(line)
			}
		}
		if err != nil {
			r.err = err
			return Event{}, err
		}
	}
}

// NextBytes is Next with the event's data returned as a slice of its own
// (the caller owns it) and Event.Data left empty: one copy of the data
// instead of two for a caller that wants bytes.
func (r *Reader) NextBytes() (Event, []byte, error) {
	return r.nextIn(dataOwned)
}

// NextView is NextBytes without a copy: the data is only valid until the
// next call of a Next method, and the caller must not change it. It saves
// the copy of every event's data for a caller that parses the data and
// keeps only a part of it.
func (r *Reader) NextView() (Event, []byte, error) {
	return r.nextIn(dataView)
}

// How dispatch hands out an event's data.
const (
	dataString = iota // in Event.Data
	dataOwned         // in r.bytes, a new slice
	dataView          // in r.bytes, a slice of the reader's buffers
)

func (r *Reader) nextIn(mode int) (Event, []byte, error) {
	r.dataMode = mode
	ev, err := r.Next()
	r.dataMode = dataString
	b := r.bytes
	r.bytes = nil
	if err != nil {
		return ev, nil, err
	}
	return ev, b, nil
}

// LastEventID returns the event source's last event ID string: the last
// event ID buffer as of the most recent blank line, which is what a client
// sends in the Last-Event-ID header when it reconnects. An "id" field in
// an event the stream cut off does not count.
func (r *Reader) LastEventID() string { return r.lastID }

// Retry returns the reconnection time most recently set by a valid "retry"
// field, and whether any was seen. As the standard prescribes, a "retry"
// field takes effect as soon as its line is read, whether or not its
// event is dispatched. Values beyond the range of time.Duration saturate
// at about 292 years.
func (r *Reader) Retry() (time.Duration, bool) { return r.retry, r.retrySet }

// field processes one non-empty line.
func (r *Reader) field(line []byte) error {
	if line[0] == ':' {
		if r.onComment != nil {
			r.onComment(decodeString(trimSpace(line[1:])))
		}
		return nil
	}
	r.inBlock = true
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], trimSpace(line[i+1:])
	}
	switch string(name) {
	case "event":
		r.typ = append(r.typ[:0], value...)
	case "data":
		if len(r.data)+len(value) > r.maxEvent {
			return tooLarge("data", r.maxEvent)
		}
		r.appendData(value)
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			r.id = append(r.id[:0], value...)
		}
	case "retry":
		if d, ok := parseRetry(value); ok {
			r.retry, r.retrySet = d, true
			r.blockRetry, r.blockRetrySet = d, true
		}
	}
	return nil
}

// appendData appends value and "\n" to the data buffer, whose capacity
// doubles as needed but stays within the limit (plus the final "\n").
func (r *Reader) appendData(value []byte) {
	if n := len(r.data) + len(value) + 1; n > cap(r.data) {
		grown := make([]byte, len(r.data), min(max(n, 2*cap(r.data), 512), r.maxEvent+1))
		copy(grown, r.data)
		r.data = grown
	}
	r.data = append(append(r.data, value...), '\n')
}

// dispatch handles a blank line: it commits the last event ID and, if the
// data buffer is not empty, returns the event; the data and event type
// buffers are reset either way.
func (r *Reader) dispatch() (Event, bool) {
	ev := r.endBlock()
	if len(r.data) == 0 {
		r.typ = r.typ[:0]
		return Event{}, false
	}
	r.setData(&ev, r.data[:len(r.data)-1])
	r.data = r.data[:0]
	return ev, true
}

// endBlock ends the block at a blank line: it commits the last event ID
// and returns the event the block makes, without its data and type.
func (r *Reader) endBlock() Event {
	r.inBlock = false
	r.lastID = intern(r.lastID, r.id)
	ev := Event{ID: r.lastID, Type: DefaultType, Retry: r.blockRetry, HasRetry: r.blockRetrySet}
	r.blockRetry, r.blockRetrySet = 0, false
	return ev
}

// setData gives ev the data d, the way the Next method asked for, and the
// block's type; it resets the event type buffer.
func (r *Reader) setData(ev *Event, d []byte) {
	switch r.dataMode {
	case dataOwned:
		r.bytes = decodeBytes(d)
	case dataView:
		// d stays as it is until the next call reads on.
		if utf8.Valid(d) {
			r.bytes = d
		} else {
			r.decoded = appendDecoded(r.decoded[:0], d)
			r.bytes = r.decoded
		}
	default:
		ev.Data = decodeString(d)
	}
	if len(r.typ) > 0 {
		r.lastTy = intern(r.lastTy, r.typ)
		ev.Type = r.lastTy
	}
	r.typ = r.typ[:0]
}

// dataValue returns the value of line if it is a "data" field.
func dataValue(line []byte) ([]byte, bool) {
	if len(line) < 4 || string(line[:4]) != "data" {
		return nil, false
	}
	if len(line) == 4 {
		return line[4:], true
	}
	if line[4] != ':' {
		return nil, false
	}
	return trimSpace(line[5:]), true
}

// intern returns s if it already holds b, else b decoded; this saves an
// allocation per event for IDs and types that repeat.
func intern(s string, b []byte) string {
	if s == string(b) {
		return s
	}
	return decodeString(b)
}

// trimSpace removes one leading space.
func trimSpace(b []byte) []byte {
	if len(b) > 0 && b[0] == ' ' {
		return b[1:]
	}
	return b
}
