package fallback

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/tether-sdk/tether/internal/sse"
)

// These tests run natively and in js/wasm (make wasm-unit): the protocol
// code they test is the same file on both.

// TestReadFirstEvent: readFirstEvent stops right after the first event, so
// that the stream's reader starts at the next byte.
func TestReadFirstEvent(t *testing.T) {
	cases := []struct {
		in, data, rest string
	}{
		{"data: w\n\nid: 1\n", "w", "id: 1\n"},
		// The LF of the final CRLF is not waited for: the stream's reader
		// sees it as a blank line, which dispatches nothing.
		{"data: w\r\n\r\nnext", "w", "\nnext"},
		{"data: w\r\rnext", "w", "next"},
		{":c\n\ndata: a\ndata: b\n\n", "a\nb", ""},
		{"\xEF\xBB\xBFdata: w\n\n", "w", ""},
		// Events of another type are not Tether's (PROTOCOL.md 6.4): skipped.
		{"event: other\ndata: x\n\ndata: w\n\nnext", "w", "next"},
	}
	for _, tc := range cases {
		r := strings.NewReader(tc.in)
		ev, err := readFirstEvent(r, 1024)
		if err != nil || ev.Data != tc.data {
			t.Errorf("%q: event %q, %v; want %q", tc.in, ev.Data, err, tc.data)
			continue
		}
		rest, _ := io.ReadAll(r)
		if string(rest) != tc.rest {
			t.Errorf("%q: left %q, want %q", tc.in, rest, tc.rest)
		}
	}
	if _, err := readFirstEvent(strings.NewReader("data: w\n"), 1024); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut before the blank line: %v", err)
	}
	if _, err := readFirstEvent(bytes.NewReader(bytes.Repeat([]byte("x"), 100)), 10); !errors.Is(err, sse.ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
}
