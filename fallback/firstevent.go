package fallback

import (
	"bytes"
	"io"

	"github.com/tether-sdk/tether/internal/sse"
	"github.com/tether-sdk/tether/internal/xfmt"
)

// readFirstEvent reads an event stream up to the end of its first event of
// the default type (Tether's) and returns that event, reading no byte past
// it: the stream's sse.Reader can then start right after it with the limits
// the welcome sets. Blocks before it that dispatch nothing (comments, an id
// alone) are skipped, and so are events of another type: Tether's events
// have none (PROTOCOL.md 6.4), and the stream's reader skips such events
// too, so that a later revision may add types. A block over limit bytes is
// an error matching sse.ErrTooLarge.
//
// It reads a byte at a time, which costs little on an http.Response body
// (buffered below) or a fetch body (served from the fetched chunk) for the
// few hundred bytes of a welcome.
func readFirstEvent(r io.Reader, limit int) (sse.Event, error) {
	var (
		block       []byte
		one         [1]byte
		atLineStart = true // nothing but line endings since the last line ending
		afterCR     bool   // the last byte was a CR: an LF now completes a CRLF
	)
	for {
		n, err := r.Read(one[:])
		if n == 1 {
			c := one[0]
			block = append(block, c)
			switch {
			case c == '\n' && afterCR:
				afterCR = false
			case c == '\r' || c == '\n':
				afterCR = c == '\r'
				if !atLineStart {
					atLineStart = true
					break
				}
				// A blank line: the block is complete. An LF that may
				// follow a final CR is a blank line to the next reader,
				// which dispatches nothing.
				ev, err := sse.NewReader(bytes.NewReader(block), &sse.Options{MaxLineBytes: limit, MaxEventBytes: limit}).Next()
				if err != io.EOF && (err != nil || ev.Type == sse.DefaultType) {
					return ev, err
				}
				block = block[:0]
			default:
				afterCR, atLineStart = false, false
				if len(block) > limit {
					return sse.Event{}, &sse.Error{Op: "read", Field: "line", Limit: limit, Err: sse.ErrTooLarge}
				}
			}
		}
		if err == io.EOF {
			return sse.Event{}, xfmt.Errorf("the stream ended before its first event: %w", io.ErrUnexpectedEOF)
		}
		if err != nil {
			return sse.Event{}, err
		}
	}
}
