package sse

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// chunkReader returns exactly one chunk per Read.
type chunkReader struct{ chunks []string }

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	if c.chunks[0] == "" {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}

// readAll reads events until Next fails.
func readAll(r *Reader) ([]Event, error) {
	var evs []Event
	for {
		ev, err := r.Next()
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
	}
}

func msg(data string) Event { return Event{Type: DefaultType, Data: data} }

func withID(id string, ev Event) Event { ev.ID = id; return ev }

var longLine = "data: " + strings.Repeat("x", DefaultMaxLineBytes) + "\n\n"

type readerCase struct {
	name     string
	in       string
	chunks   []string // if set, the input arrives in exactly these reads
	opts     Options
	want     []Event
	err      error // what the final error must match; io.EOF if nil
	lastID   string
	retry    time.Duration
	retrySet bool
	comments []string
	skipSlow bool // skip the one-byte-at-a-time pass (huge inputs)
}

var readerCases = []readerCase{
	// Byte order mark.
	{name: "BOM", in: "\xEF\xBB\xBFdata: a\n\n", want: []Event{msg("a")}},
	{name: "BOM stripped only once", in: "\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n", want: []Event{msg("b")}},
	{name: "BOM alone", in: "\xEF\xBB\xBF"},
	{name: "BOM prefix is not a BOM", in: "\xEF\xBBdata: a\n\ndata: b\n\n", want: []Event{msg("b")}},
	{name: "BOM split across reads", chunks: []string{"\xEF", "\xBB", "\xBFdata: a\n\n"}, want: []Event{msg("a")}},

	// Line endings.
	{name: "LF", in: "data: a\n\ndata: b\n\n", want: []Event{msg("a"), msg("b")}},
	{name: "CRLF", in: "data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n", want: []Event{msg("a\nb"), msg("c")}},
	{name: "CR only", in: "data: a\rdata: b\r\rdata: c\r\r", want: []Event{msg("a\nb"), msg("c")}},
	{name: "mixed", in: "data: a\r\ndata: b\rdata: c\n\r\ndata: d\n\r", want: []Event{msg("a\nb\nc"), msg("d")}},
	{name: "LF CR is two line ends", in: "data: a\n\rdata: b\n\n", want: []Event{msg("a"), msg("b")}},
	{
		name:   "CR at a chunk boundary",
		chunks: []string{"data: a\r", "\ndata: b\r", "\n\r", "\n", "data: c\r", "\r", "\ndata: d\n\n"},
		want:   []Event{msg("a\nb"), msg("c"), msg("d")},
	},
	{name: "CR CR at a chunk boundary", chunks: []string{"data: a\r", "\r", "data: b\n\n"}, want: []Event{msg("a"), msg("b")}},

	// Data.
	{name: "multi-line data", in: "data: a\ndata: b\ndata: c\n\n", want: []Event{msg("a\nb\nc")}},
	{name: "bare data", in: "data\n\n", want: []Event{msg("")}},
	{name: "two bare data lines", in: "data\ndata\n\n", want: []Event{msg("\n")}},
	{name: "data: with space", in: "data: a\n\n", want: []Event{msg("a")}},
	{name: "data: without space", in: "data:a\n\n", want: []Event{msg("a")}},
	{name: "data: empty", in: "data:\n\n", want: []Event{msg("")}},
	{name: "two spaces, only one removed", in: "data:  a\n\n", want: []Event{msg(" a")}},
	{name: "trailing space kept", in: "data: a \n\n", want: []Event{msg("a ")}},
	{name: "tab not removed", in: "data:\ta\n\n", want: []Event{msg("\ta")}},
	{name: "colon in value", in: "data: a: b\n\n", want: []Event{msg("a: b")}},
	{name: "space before colon is part of the name", in: "data : a\n\ndata: b\n\n", want: []Event{msg("b")}},
	{name: "field names are case-sensitive", in: "Data: a\n\ndata: b\n\n", want: []Event{msg("b")}},
	{name: "invalid UTF-8 becomes U+FFFD", in: "data: a\xFFb\xE2\x82c\xED\xA0\x80\n\n", want: []Event{msg("a\uFFFDb\uFFFDc\uFFFD\uFFFD\uFFFD")}},
	{name: "NUL in data and type", in: "event: a\x00b\ndata: \x00\n\n", want: []Event{{Type: "a\x00b", Data: "\x00"}}},

	// Event type.
	{name: "event type", in: "event: add\ndata: a\n\n", want: []Event{{Type: "add", Data: "a"}}},
	{name: "event type reset after dispatch", in: "event: add\ndata: a\n\ndata: b\n\n", want: []Event{{Type: "add", Data: "a"}, msg("b")}},
	{name: "empty event type is message", in: "event:\ndata: a\n\n", want: []Event{msg("a")}},
	{name: "last event field wins", in: "event: a\nevent: b\ndata: x\n\n", want: []Event{{Type: "b", Data: "x"}}},
	{name: "empty data not dispatched", in: "event: add\n\ndata: b\n\n", want: []Event{msg("b")}},
	{name: "blank lines only", in: "\n\r\n\r\n"},

	// Last event ID.
	{name: "id", in: "id: 1\ndata: a\n\n", want: []Event{withID("1", msg("a"))}, lastID: "1"},
	{name: "id persists", in: "id: 1\ndata: a\n\ndata: b\n\n", want: []Event{withID("1", msg("a")), withID("1", msg("b"))}, lastID: "1"},
	{
		name: "id reset with empty id",
		in:   "id: 1\ndata: a\n\nid\ndata: b\n\nid: 2\ndata: c\n\nid:\ndata: d\n\n",
		want: []Event{withID("1", msg("a")), msg("b"), withID("2", msg("c")), msg("d")},
	},
	{
		name:   "id containing NUL ignored",
		in:     "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n",
		want:   []Event{withID("1", msg("a")), withID("1", msg("b"))},
		lastID: "1",
	},
	{name: "id without data sets the last event ID", in: "id: 7\n\ndata: a\n\n", want: []Event{withID("7", msg("a"))}, lastID: "7"},
	{
		name:   "id of a truncated event not committed",
		in:     "id: 1\ndata: a\n\nid: 2\ndata: b\n",
		want:   []Event{withID("1", msg("a"))},
		err:    io.ErrUnexpectedEOF,
		lastID: "1",
	},
	{name: "seeded last event ID", in: "data: a\n\n", opts: Options{LastEventID: "5"}, want: []Event{withID("5", msg("a"))}, lastID: "5"},
	{name: "id with leading space kept", in: "id:  x\ndata: a\n\n", want: []Event{withID(" x", msg("a"))}, lastID: " x"},

	// Retry.
	{
		name:     "retry valid",
		in:       "retry: 1500\ndata: a\n\n",
		want:     []Event{{Type: DefaultType, Data: "a", Retry: 1500 * time.Millisecond, HasRetry: true}},
		retry:    1500 * time.Millisecond,
		retrySet: true,
	},
	{
		name:     "retry zero",
		in:       "retry: 0\ndata: a\n\n",
		want:     []Event{{Type: DefaultType, Data: "a", HasRetry: true}},
		retrySet: true,
	},
	{
		name: "retry invalid",
		in:   "retry: 1.5\nretry: -1\nretry: +1\nretry\nretry:\nretry:  15\nretry: 15 \nretry: 15x\nretry: \u0661\ndata: a\n\n",
		want: []Event{msg("a")},
	},
	{
		name:     "retry invalid keeps previous",
		in:       "retry: 100\ndata: a\n\nretry: x\ndata: b\n\n",
		want:     []Event{{Type: DefaultType, Data: "a", Retry: 100 * time.Millisecond, HasRetry: true}, msg("b")},
		retry:    100 * time.Millisecond,
		retrySet: true,
	},
	{
		name:     "retry without data still sets the reconnection time",
		in:       "retry: 2000\n\ndata: a\n\n",
		want:     []Event{msg("a")},
		retry:    2 * time.Second,
		retrySet: true,
	},
	{
		name:     "retry in a truncated event still applies",
		in:       "retry: 2000\ndata: a\n",
		err:      io.ErrUnexpectedEOF,
		retry:    2 * time.Second,
		retrySet: true,
	},
	{
		name:     "retry overflow saturates",
		in:       "retry: 99999999999999999999999\ndata: a\n\n",
		want:     []Event{{Type: DefaultType, Data: "a", Retry: time.Duration(maxRetryMillis) * time.Millisecond, HasRetry: true}},
		retry:    time.Duration(maxRetryMillis) * time.Millisecond,
		retrySet: true,
	},

	// Comments and unknown fields.
	{name: "comment-only stream", in: ": hello\n:world\n:\n\n:  two\n", comments: []string{"hello", "world", "", " two"}},
	{name: "comment inside an event", in: "data: a\n: ping\ndata: b\n\n", want: []Event{msg("a\nb")}, comments: []string{"ping"}},
	{name: "unknown field", in: "foo: bar\ndata: a\nbaz\n\n", want: []Event{msg("a")}},

	// End of stream.
	{name: "empty stream"},
	{name: "truncated last event not delivered", in: "data: a\n\ndata: b\n", want: []Event{msg("a")}, err: io.ErrUnexpectedEOF},
	{name: "truncated mid-line", in: "data: a\n\ndata: b", want: []Event{msg("a")}, err: io.ErrUnexpectedEOF},
	{name: "no trailing blank line after CR", in: "data: a\r", err: io.ErrUnexpectedEOF},
	{name: "comment after last event is a clean end", in: "data: a\n\n: bye\n", want: []Event{msg("a")}, comments: []string{"bye"}},

	// Limits.
	{name: "very long line", in: longLine, err: ErrTooLarge, skipSlow: true},
	{name: "very long comment", in: ":" + longLine, err: ErrTooLarge, skipSlow: true},
	{name: "events before a long line are delivered", in: "data: a\n\n" + longLine, want: []Event{msg("a")}, err: ErrTooLarge, skipSlow: true},
	{name: "line over a small limit", in: "data: 0123456789a\n\n", opts: Options{MaxLineBytes: 16}, err: ErrTooLarge},
	{name: "unterminated line over a small limit", in: "data: 0123456789a", opts: Options{MaxLineBytes: 16}, err: ErrTooLarge},
	{name: "line at a small limit", in: "data: 0123456789\r\n\r\n", opts: Options{MaxLineBytes: 16}, want: []Event{msg("0123456789")}},
	{name: "line at a tiny limit", in: "data\n\n", opts: Options{MaxLineBytes: 4}, want: []Event{msg("")}},
	{name: "event over the data limit", in: "data: abc\ndata: de\n\n", opts: Options{MaxEventBytes: 5}, err: ErrTooLarge},
	{name: "event at the data limit", in: "data: abc\ndata: d\n\n", opts: Options{MaxEventBytes: 5}, want: []Event{msg("abc\nd")}},
}

func TestReader(t *testing.T) {
	for _, tc := range readerCases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in + strings.Join(tc.chunks, "")
			readers := map[string]func() io.Reader{
				"whole":   func() io.Reader { return strings.NewReader(in) },
				"half":    func() io.Reader { return iotest.HalfReader(strings.NewReader(in)) },
				"dataerr": func() io.Reader { return iotest.DataErrReader(strings.NewReader(in)) },
			}
			if !tc.skipSlow {
				readers["1byte"] = func() io.Reader { return iotest.OneByteReader(strings.NewReader(in)) }
			}
			if tc.chunks != nil {
				readers["chunks"] = func() io.Reader { return &chunkReader{chunks: slices.Clone(tc.chunks)} }
			}
			for name, newR := range readers {
				t.Run(name, func(t *testing.T) { checkCase(t, tc, newR()) })
			}
		})
	}
}

func checkCase(t *testing.T, tc readerCase, src io.Reader) {
	t.Helper()
	var comments []string
	opts := tc.opts
	opts.OnComment = func(s string) { comments = append(comments, s) }
	r := NewReader(src, &opts)
	got, err := readAll(r)
	if !slices.Equal(got, tc.want) {
		t.Errorf("events:\n got  %#v\n want %#v", got, tc.want)
	}
	wantErr := tc.err
	if wantErr == nil {
		wantErr = io.EOF
	}
	if !errors.Is(err, wantErr) {
		t.Errorf("final error = %v, want %v", err, wantErr)
	}
	if _, again := r.Next(); again != err {
		t.Errorf("error not sticky: then %v, now %v", err, again)
	}
	if id := r.LastEventID(); id != tc.lastID {
		t.Errorf("LastEventID() = %q, want %q", id, tc.lastID)
	}
	if d, ok := r.Retry(); d != tc.retry || ok != tc.retrySet {
		t.Errorf("Retry() = %v, %v, want %v, %v", d, ok, tc.retry, tc.retrySet)
	}
	if !slices.Equal(comments, tc.comments) {
		t.Errorf("comments = %q, want %q", comments, tc.comments)
	}
}

func TestReaderNilOptions(t *testing.T) {
	r := NewReader(strings.NewReader("data: a\n\n"), nil)
	got, err := readAll(r)
	if err != io.EOF || !slices.Equal(got, []Event{msg("a")}) {
		t.Fatalf("got %#v, %v", got, err)
	}
}

// TestReaderDoesNotWaitAfterCR checks that a line ended by a CR is acted on
// without reading further: the reader would otherwise block on a live stream.
func TestReaderDoesNotWaitAfterCR(t *testing.T) {
	pr, pw := io.Pipe()
	go func() { _, _ = pw.Write([]byte("data: a\r\r")) }() // then nothing, and no EOF
	r := NewReader(pr, nil)
	done := make(chan Event)
	go func() {
		ev, _ := r.Next()
		done <- ev
	}()
	select {
	case ev := <-done:
		if ev != msg("a") {
			t.Errorf("got %#v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next blocked waiting for input after a CR")
	}
	_ = pr.Close()
}

type errAfter struct {
	data string
	err  error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if e.data == "" {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(&errAfter{data: "data: a\n\ndata: b\n", err: boom}, nil)
	got, err := readAll(r)
	if !slices.Equal(got, []Event{msg("a")}) {
		t.Errorf("events = %#v", got)
	}
	if !errors.Is(err, boom) {
		t.Fatalf("error %v does not wrap %v", err, boom)
	}
	var e *Error
	if !errors.As(err, &e) || e.Op != "read" {
		t.Errorf("error %#v is not a read *Error", err)
	}
	if want := "tether/sse: read: boom"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

type badCountReader struct{}

func (badCountReader) Read(p []byte) (int, error) { return len(p) + 1, nil }

func TestReaderMisbehavingSource(t *testing.T) {
	if _, err := NewReader(zeroReader{}, nil).Next(); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("reader returning (0, nil) forever: %v, want io.ErrNoProgress", err)
	}
	if _, err := NewReader(badCountReader{}, nil).Next(); !errors.Is(err, errBadCount) {
		t.Errorf("reader returning a bad count: %v, want errBadCount", err)
	}
}

func TestTooLargeError(t *testing.T) {
	_, err := NewReader(strings.NewReader("data: 0123456789a\n\n"), &Options{MaxLineBytes: 16}).Next()
	var e *Error
	if !errors.As(err, &e) || e.Field != "line" || e.Limit != 16 || !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %#v", err)
	}
	if want := "tether/sse: read line: exceeds 16 bytes"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	_, err = NewReader(strings.NewReader("data: abc\ndata: abc\n\n"), &Options{MaxEventBytes: 6}).Next()
	if !errors.As(err, &e) || e.Field != "data" || e.Limit != 6 || !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %#v", err)
	}
}

// TestReaderBoundedMemory feeds an endless line and checks that the
// reader gives up at the limit instead of buffering it all.
func TestReaderBoundedMemory(t *testing.T) {
	endless := &loopReader{b: []byte("xxxxxxxx")}
	_, err := NewReader(endless, &Options{MaxLineBytes: 1 << 16}).Next()
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
	if endless.n > 1<<17 {
		t.Errorf("read %d bytes before giving up on a %d-byte limit", endless.n, 1<<16)
	}
}

func TestReaderHugeLimits(t *testing.T) {
	opts := &Options{MaxLineBytes: int(^uint(0) >> 1), MaxEventBytes: int(^uint(0) >> 1)}
	got, err := readAll(NewReader(strings.NewReader("data: "+strings.Repeat("x", 100000)+"\n\n"), opts))
	if err != io.EOF || len(got) != 1 || len(got[0].Data) != 100000 {
		t.Fatalf("got %d events, %v", len(got), err)
	}
}

// TestNextView: NextView returns what Next would, as bytes, whether the
// event is a single data line read from the buffer or not, and whatever
// line endings and read sizes.
func TestNextView(t *testing.T) {
	in := "id: 1\ndata: a\ndata: b\n\ndata: one\r\n\r\nevent: x\ndata:two\r\rdata: \xff\n\ndata\n\n: c\ndata: last\n\n"
	for _, src := range []func() io.Reader{
		func() io.Reader { return strings.NewReader(in) },
		func() io.Reader { return iotest.OneByteReader(strings.NewReader(in)) },
		func() io.Reader { return iotest.HalfReader(strings.NewReader(in)) },
	} {
		want, err := readAll(NewReader(src(), nil))
		if err != io.EOF || len(want) != 6 {
			t.Fatalf("Next: %d events, %v", len(want), err)
		}
		r := NewReader(src(), nil)
		for i, w := range want {
			ev, b, err := r.NextView()
			if err != nil || string(b) != w.Data || ev.ID != w.ID || ev.Type != w.Type || ev.Data != "" {
				t.Fatalf("event %d: %+v %q %v, want %+v", i, ev, b, err, w)
			}
		}
		if _, b, err := r.NextView(); err != io.EOF || b != nil {
			t.Fatalf("end: %q %v", b, err)
		}
	}
}
