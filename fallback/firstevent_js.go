//go:build js && wasm

package fallback

import (
	"bytes"
	"io"

	"github.com/tether-sdk/tether/internal/sse"
	"github.com/tether-sdk/tether/internal/xfmt"
)

// readFirstEvent reads an event stream up to the end of its first event of
// the default type and returns it, reading no byte past it, so that the
// stream's sse.Reader can start right after it with the limits the welcome
// sets. It reads a byte at a time, which costs little on a bodyReader (it
// serves from the fetched chunk) for the few hundred bytes of a welcome.
//
// It is fallback/firstevent.go's function (that file builds only for
// native); moving it into internal/sse would let both share it.
func readFirstEvent(r io.Reader, limit int) (sse.Event, error) {
	var (
		block       []byte
		one         [1]byte
		atLineStart = true
		afterCR     bool
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
