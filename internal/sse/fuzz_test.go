package sse

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"
)

// parse reads src to the end and returns everything observable.
type parsed struct {
	events   []Event
	err      string
	lastID   string
	retry    time.Duration
	retrySet bool
	comments []string
}

func parse(src io.Reader, opts Options) parsed {
	var p parsed
	opts.OnComment = func(s string) { p.comments = append(p.comments, s) }
	r := NewReader(src, &opts)
	var err error
	p.events, err = readAll(r)
	p.err = err.Error()
	p.lastID = r.LastEventID()
	p.retry, p.retrySet = r.Retry()
	return p
}

func equalParsed(a, b parsed) bool {
	return slices.Equal(a.events, b.events) && a.err == b.err && a.lastID == b.lastID &&
		a.retry == b.retry && a.retrySet == b.retrySet && slices.Equal(a.comments, b.comments)
}

// FuzzReader checks that the parser never panics, that its output does not
// depend on how the input is split into reads, and some invariants.
func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, opts := range []Options{{}, {MaxLineBytes: 24, MaxEventBytes: 40}} {
			whole := parse(bytes.NewReader(in), opts)
			byByte := parse(iotest.OneByteReader(bytes.NewReader(in)), opts)
			if !equalParsed(whole, byByte) {
				t.Fatalf("whole read and 1-byte reads differ:\n%#v\n%#v", whole, byByte)
			}
			switch whole.err {
			case io.EOF.Error(), io.ErrUnexpectedEOF.Error():
			default:
				if !strings.HasPrefix(whole.err, "tether/sse: read ") {
					t.Fatalf("unexpected error %q", whole.err)
				}
			}
			for _, ev := range whole.events {
				if ev.Type == "" || strings.ContainsAny(ev.Type, "\r\n") || strings.ContainsAny(ev.ID, "\r\n\x00") {
					t.Fatalf("bad event %#v", ev)
				}
				if !utf8.ValidString(ev.ID) || !utf8.ValidString(ev.Type) || !utf8.ValidString(ev.Data) {
					t.Fatalf("invalid UTF-8 in %#v", ev)
				}
				if opts.MaxEventBytes > 0 && len(ev.Data) > 3*opts.MaxEventBytes {
					t.Fatalf("data of %d bytes over the limit", len(ev.Data))
				}
			}
		}
	})
}

// representable reports whether AppendEvent must accept ev, written
// independently of the writer's own checks.
func representable(ev Event) bool {
	for _, s := range []string{ev.ID, ev.Type, ev.Data} {
		if !utf8.ValidString(s) || strings.Contains(s, "\r") {
			return false
		}
	}
	return !strings.Contains(ev.ID, "\n") && !strings.Contains(ev.ID, "\x00") &&
		!strings.Contains(ev.Type, "\n") && ev.Retry >= 0 && ev.Retry%time.Millisecond == 0
}

// FuzzRoundTrip checks that whatever the writer accepts reads back
// unchanged, and that it rejects only what it must.
func FuzzRoundTrip(f *testing.F) {
	f.Fuzz(func(t *testing.T, id, typ, data string, retry int64, hasRetry bool, comment string) {
		ev := Event{ID: id, Type: typ, Data: data, Retry: time.Duration(retry), HasRetry: hasRetry}
		wire := AppendComment(nil, comment)
		wire, err := AppendEvent(wire, ev)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || representable(ev) {
				t.Fatalf("AppendEvent(%#v) = %v", ev, err)
			}
			return
		}
		if !representable(ev) {
			t.Fatalf("AppendEvent(%#v) accepted an unrepresentable event", ev)
		}
		// A second event without an ID inherits the first one's.
		next := Event{Data: data + "\n" + typ}
		if wire, err = AppendEvent(wire, next); err != nil {
			t.Fatal(err)
		}

		want := parsed{err: io.EOF.Error(), lastID: id}
		ev.HasRetry = ev.HasRetry || ev.Retry != 0
		if ev.Type == "" {
			ev.Type = DefaultType
		}
		next.ID, next.Type = id, DefaultType
		want.events = []Event{ev, next}
		want.retry, want.retrySet = ev.Retry, ev.HasRetry
		lf := strings.ReplaceAll(strings.ReplaceAll(comment, "\r\n", "\n"), "\r", "\n")
		want.comments = strings.Split(lf, "\n")
		opts := Options{MaxLineBytes: len(wire) + 1, MaxEventBytes: len(wire) + 1}
		for _, src := range []io.Reader{bytes.NewReader(wire), iotest.OneByteReader(bytes.NewReader(wire))} {
			got := parse(src, opts)
			if !utf8.ValidString(comment) {
				got.comments, want.comments = nil, nil
			}
			if !equalParsed(got, want) {
				t.Fatalf("wire %q\n got %#v\nwant %#v", wire, got, want)
			}
		}
	})
}
