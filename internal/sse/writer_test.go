package sse

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAppendEvent(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   Event
		want string
	}{
		{"zero", Event{}, "data:\n\n"},
		{"data", Event{Data: "a"}, "data: a\n\n"},
		{"default type omitted", Event{Type: DefaultType, Data: "a"}, "data: a\n\n"},
		{"all fields", Event{ID: "7", Type: "add", Data: "a", Retry: 1500 * time.Millisecond}, "id: 7\nevent: add\nretry: 1500\ndata: a\n\n"},
		{"retry zero", Event{Data: "a", HasRetry: true}, "retry: 0\ndata: a\n\n"},
		{"multi-line data", Event{Data: "a\n\nb\n"}, "data: a\ndata:\ndata: b\ndata:\n\n"},
		{"leading space kept", Event{ID: " i", Type: " t", Data: " d"}, "id:  i\nevent:  t\ndata:  d\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AppendEvent([]byte("prefix"), tc.ev)
			if err != nil || string(got) != "prefix"+tc.want {
				t.Fatalf("AppendEvent = %q, %v; want %q", got, err, "prefix"+tc.want)
			}
		})
	}
}

func TestAppendEventInvalid(t *testing.T) {
	for _, tc := range []struct {
		field string
		ev    Event
	}{
		{"id", Event{ID: "a\nb"}},
		{"id", Event{ID: "a\rb"}},
		{"id", Event{ID: "a\x00b"}},
		{"id", Event{ID: "\xFF"}},
		{"event", Event{Type: "a\nb"}},
		{"event", Event{Type: "a\r"}},
		{"event", Event{Type: "\xFF"}},
		{"data", Event{Data: "a\r\nb"}},
		{"data", Event{Data: "\xE2\x82"}},
		{"retry", Event{Retry: -time.Millisecond}},
		{"retry", Event{Retry: time.Microsecond}},
	} {
		got, err := AppendEvent([]byte("x"), tc.ev)
		var e *Error
		if !errors.Is(err, ErrInvalid) || !errors.As(err, &e) || e.Field != tc.field || e.Op != "write" {
			t.Errorf("AppendEvent(%+v) error = %#v, want ErrInvalid in %s", tc.ev, err, tc.field)
			continue
		}
		if !strings.HasPrefix(err.Error(), "tether/sse: write "+tc.field+": ") {
			t.Errorf("message %q", err)
		}
		if string(got) != "x" {
			t.Errorf("dst changed on error: %q", got)
		}
	}
}

func TestAppendComment(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ":\n"},
		{"ping", ": ping\n"},
		{" x", ":  x\n"},
		{"a\nb\r\nc\rd", ": a\n: b\n: c\n: d\n"},
		{"a\n", ": a\n:\n"},
	} {
		if got := string(AppendComment([]byte("p"), tc.in)); got != "p"+tc.want {
			t.Errorf("AppendComment(%q) = %q, want %q", tc.in, got, "p"+tc.want)
		}
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestWriteEvent(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteEvent(&buf, Event{ID: "1", Data: "a\nb"}); err != nil {
		t.Fatal(err)
	}
	if want := "id: 1\ndata: a\ndata: b\n\n"; buf.String() != want {
		t.Errorf("wrote %q, want %q", buf.String(), want)
	}
	if err := WriteEvent(&buf, Event{Data: "\r"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("invalid event: %v", err)
	}
	err := WriteEvent(failWriter{io.ErrClosedPipe}, Event{Data: "a"})
	if !errors.Is(err, io.ErrClosedPipe) || !strings.HasPrefix(err.Error(), "tether/sse: write: ") {
		t.Errorf("write error: %v", err)
	}
}

// TestRoundTrip writes a sequence of events and comments and reads them back.
func TestRoundTrip(t *testing.T) {
	evs := []Event{
		{ID: "1", Type: "add", Data: "{\"a\":1}"},
		{Data: "inherits id 1\n\nwith blank line"},
		{ID: "2", Data: "", Retry: 3 * time.Second},
		{ID: "\u00e9", Type: "x y", Data: "  spaces  ", HasRetry: true},
		{Type: DefaultType, Data: "\n"},
	}
	var wire []byte
	wire = append(wire, "\xEF\xBB\xBF"...)
	wire = AppendComment(wire, "hello\nthere")
	for _, ev := range evs {
		var err error
		if wire, err = AppendEvent(wire, ev); err != nil {
			t.Fatal(err)
		}
	}
	var comments []string
	got, err := readAll(NewReader(bytes.NewReader(wire), &Options{OnComment: func(s string) { comments = append(comments, s) }}))
	if err != io.EOF {
		t.Fatal(err)
	}
	want := []Event{
		{ID: "1", Type: "add", Data: "{\"a\":1}"},
		{ID: "1", Type: DefaultType, Data: "inherits id 1\n\nwith blank line"},
		{ID: "2", Type: DefaultType, Data: "", Retry: 3 * time.Second, HasRetry: true},
		{ID: "\u00e9", Type: "x y", Data: "  spaces  ", HasRetry: true},
		{ID: "\u00e9", Type: DefaultType, Data: "\n"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	if !slices.Equal(comments, []string{"hello", "there"}) {
		t.Errorf("comments %q", comments)
	}
}
