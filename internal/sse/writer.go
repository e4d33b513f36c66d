package sse

import (
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AppendEvent appends the wire form of ev to dst: an "id" field if ev.ID is
// not empty, an "event" field if ev.Type is neither "" nor DefaultType, a
// "retry" field if ev.HasRetry is set or ev.Retry is not 0, one "data"
// field per line of ev.Data (one empty "data" field for empty Data), and
// the blank line that dispatches the event.
//
// Because an empty ID is not written, an event with ID "" inherits the
// previous event's ID on the reading side, exactly like Event.ID reports.
//
// Values the format cannot carry are rejected with an *Error matching
// ErrInvalid, and dst is returned unchanged: invalid UTF-8 anywhere, a CR in
// Data, a CR or LF in ID or Type, a NUL in ID, a negative Retry or one that
// is not a whole number of milliseconds. Anything AppendEvent accepts is
// read back by a Reader as the same Event (with Type "" read as
// DefaultType, and HasRetry set when Retry is not 0).
func AppendEvent(dst []byte, ev Event) ([]byte, error) {
	if err := validate(ev); err != nil {
		return dst, err
	}
	if ev.ID != "" {
		dst = appendField(dst, "id", ev.ID)
	}
	if ev.Type != "" && ev.Type != DefaultType {
		dst = appendField(dst, "event", ev.Type)
	}
	if ev.HasRetry || ev.Retry != 0 {
		dst = append(dst, "retry: "...)
		dst = strconv.AppendInt(dst, int64(ev.Retry/time.Millisecond), 10)
		dst = append(dst, '\n')
	}
	data := ev.Data
	for {
		line, rest, more := strings.Cut(data, "\n")
		dst = appendField(dst, "data", line)
		if !more {
			break
		}
		data = rest
	}
	return append(dst, '\n'), nil
}

// WriteEvent writes the wire form of ev (see AppendEvent) to w with a
// single Write call. An error from w is returned wrapped in an *Error.
func WriteEvent(w io.Writer, ev Event) error {
	buf, err := AppendEvent(make([]byte, 0, len(ev.ID)+len(ev.Type)+len(ev.Data)+64), ev)
	if err != nil {
		return err
	}
	if _, err := w.Write(buf); err != nil {
		return &Error{Op: "write", Err: err}
	}
	return nil
}

// AppendComment appends text as comment lines to dst: one line starting
// with ":" per line of text (lines end in CRLF, LF or CR). A Reader passes
// each of them to Options.OnComment (invalid UTF-8 comes back as U+FFFD).
// Comments do not end an event; servers send them as keep-alives.
func AppendComment(dst []byte, text string) []byte {
	for {
		i := strings.IndexAny(text, "\r\n")
		if i < 0 {
			return appendField(dst, "", text)
		}
		dst = appendField(dst, "", text[:i])
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		text = text[i+1:]
	}
}

// appendField appends "name: value\n", or "name:\n" for an empty value.
func appendField(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ':')
	if value != "" {
		dst = append(dst, ' ')
		dst = append(dst, value...)
	}
	return append(dst, '\n')
}

// validate reports why ev cannot be encoded faithfully, if it cannot.
func validate(ev Event) error {
	switch {
	case !utf8.ValidString(ev.ID):
		return invalid("id", "not valid UTF-8")
	case strings.ContainsAny(ev.ID, "\r\n"):
		return invalid("id", "contains a line break")
	case strings.IndexByte(ev.ID, 0) >= 0:
		return invalid("id", "contains U+0000")
	case !utf8.ValidString(ev.Type):
		return invalid("event", "not valid UTF-8")
	case strings.ContainsAny(ev.Type, "\r\n"):
		return invalid("event", "contains a line break")
	case !utf8.ValidString(ev.Data):
		return invalid("data", "not valid UTF-8")
	case strings.IndexByte(ev.Data, '\r') >= 0:
		return invalid("data", "contains a carriage return")
	case ev.Retry < 0:
		return invalid("retry", "negative")
	case ev.Retry%time.Millisecond != 0:
		return invalid("retry", "not a whole number of milliseconds")
	}
	return nil
}

func invalid(field, reason string) error {
	return &Error{Op: "write", Field: field, Reason: reason, Err: ErrInvalid}
}
