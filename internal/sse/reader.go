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
	view      bool   // dispatch hands out the data in bytes (NextView), not in Event.Data
	bytes     []byte // the data of the event NextView returns
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
			name, value := splitField(line)
			// The usual event, one data line and the blank line that
			// ends it, both in the buffer: dispatched from the buffer,
			// without the copy into the data buffer.
			if string(name) == "data" && len(r.data) == 0 && r.lines.blankNext() {
				if len(value) <= r.maxEvent {
					ev := r.endBlock()
					r.setData(&ev, value)
					return ev, nil
				}
				err = tooLarge("data", r.maxEvent)
			} else {
				err = r.field(name, value)
			}
		}
		if err != nil {
			r.err = err
			return Event{}, err
		}
	}
}

// NextView is Next with the event's data returned as bytes, invalid UTF-8
// replaced as in Next, and Event.Data left empty, without a copy: the data
// is only valid until the next call of a Next method, and the caller must
// not change it. It saves the copy of every event's data for a caller that
// parses the data and keeps only a part of it.
func (r *Reader) NextView() (Event, []byte, error) {
	r.view = true
	ev, err := r.Next()
	r.view = false
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

// splitField splits a non-empty line into its field name and value: the
// name runs to the first colon and the value, after it, loses one leading
// space; a line without a colon is a name with an empty value. A comment
// (a line starting with a colon) has an empty name and its text as value.
func splitField(line []byte) (name, value []byte) {
	i := bytes.IndexByte(line, ':')
	if i < 0 {
		return line, line[len(line):]
	}
	return line[:i], trimSpace(line[i+1:])
}

// field processes one non-empty line, split by splitField.
func (r *Reader) field(name, value []byte) error {
	if len(name) == 0 {
		if r.onComment != nil {
			r.onComment(decodeString(value))
		}
		return nil
	}
	r.inBlock = true
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
	switch {
	case !r.view:
		ev.Data = decodeString(d)
	case utf8.Valid(d):
		r.bytes = d // it stays as it is until the next call reads on
	default:
		r.decoded = appendDecoded(r.decoded[:0], d)
		r.bytes = r.decoded
	}
	if len(r.typ) > 0 {
		r.lastTy = intern(r.lastTy, r.typ)
		ev.Type = r.lastTy
	}
	r.typ = r.typ[:0]
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
