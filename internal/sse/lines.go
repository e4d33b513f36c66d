package sse

import (
	"bytes"
	"errors"
	"io"
)

const (
	initialBufSize = 4 << 10
	// busyBufSize is how far the buffer grows, within the line limit, for
	// a stream whose reads keep filling it: fewer, larger reads through the
	// layers below (a TLS record is up to 16 KiB). A quiet stream keeps
	// initialBufSize.
	busyBufSize   = 64 << 10
	minBufSize    = 16 // room to sniff the byte order mark
	maxEmptyReads = 100
	// quietReads small reads in a row (each under quietReadSize, taken
	// whole) make a grown buffer go back to initialBufSize: a stream that
	// was busy and now carries heartbeats and the odd event does not keep
	// busyBufSize for good.
	quietReads    = 8
	quietReadSize = initialBufSize / 4
)

var (
	bom         = []byte("\xEF\xBB\xBF")
	errBadCount = errors.New("io.Reader returned an invalid count")
)

// lineReader splits a byte stream into lines ending in CRLF, LF or a lone
// CR, after skipping one leading UTF-8 byte order mark. Its buffer grows to
// at most limit+1 bytes: a line of limit bytes and the first byte of its
// ending.
type lineReader struct {
	r   io.Reader
	buf []byte
	// buf[start:end] is unconsumed input, of which the first scanned bytes
	// are known to hold no CR or LF.
	start, end, scanned int
	limit               int
	bomDone             bool
	skipLF              bool  // the last line ended in a CR: drop one LF
	filled              bool  // the last read filled all the room it had
	quiet               int   // small reads in a row into an empty buffer (quietReads)
	err                 error // sticky error from r
}

func newLineReader(r io.Reader, limit int) lineReader {
	size := max(min(initialBufSize, limit+1), minBufSize)
	return lineReader{r: r, buf: make([]byte, size), limit: limit}
}

// readLine returns the next line without its ending; the slice is valid
// until the next call. At the end of the stream it returns io.EOF, or
// io.ErrUnexpectedEOF if an unterminated line was left over (and dropped).
// Errors of the underlying reader come back as an *Error wrapping them.
func (l *lineReader) readLine() ([]byte, error) {
	for {
		if l.skipLF && l.end > l.start {
			if l.buf[l.start] == '\n' {
				l.start++
			}
			l.skipLF = false
		}
		if !l.bomDone {
			p := l.buf[l.start:l.end]
			if len(p) < len(bom) && bytes.HasPrefix(bom, p) && l.err == nil {
				l.fill()
				continue
			}
			if bytes.HasPrefix(p, bom) {
				l.start += len(bom)
			}
			l.bomDone = true
		}
		if line, ok := l.scan(); ok {
			if len(line) > l.limit {
				return nil, tooLarge("line", l.limit)
			}
			return line, nil
		}
		if l.end-l.start > l.limit {
			return nil, tooLarge("line", l.limit)
		}
		if l.err != nil {
			partial := l.end > l.start
			l.start, l.end, l.scanned = 0, 0, 0
			switch {
			case l.err != io.EOF:
				return nil, &Error{Op: "read", Err: l.err}
			case partial:
				return nil, io.ErrUnexpectedEOF
			default:
				return nil, io.EOF
			}
		}
		l.fill()
	}
}

// scan consumes the first buffered line and its ending, if the buffer holds
// a line ending.
func (l *lineReader) scan() ([]byte, bool) {
	p := l.buf[l.start+l.scanned : l.end]
	i := bytes.IndexByte(p, '\n')
	if i < 0 {
		i = len(p)
	}
	if j := bytes.IndexByte(p[:i], '\r'); j >= 0 {
		i = j
	}
	if i == len(p) {
		l.scanned = l.end - l.start
		return nil, false
	}
	n := l.scanned + i
	line := l.buf[l.start : l.start+n]
	cr := l.buf[l.start+n] == '\r'
	l.start += n + 1
	l.scanned = 0
	if cr {
		// CRLF is one line ending. If the CR is the last byte we have,
		// finish the line now and drop the LF should it come next.
		if l.start == l.end {
			l.skipLF = true
		} else if l.buf[l.start] == '\n' {
			l.start++
		}
	}
	return line, true
}

// blankNext consumes an empty line if the buffer holds one right at the
// start, and reports whether it did: the blank line that ends an event,
// seen without a read.
func (l *lineReader) blankNext() bool {
	if l.skipLF || l.start >= l.end {
		return false
	}
	switch l.buf[l.start] {
	case '\n':
		l.start++
	case '\r':
		l.start++
		if l.start == l.end {
			l.skipLF = true
		} else if l.buf[l.start] == '\n' {
			l.start++
		}
	default:
		return false
	}
	l.scanned = 0
	return true
}

// fill makes room and reads more input. A read error is kept in l.err.
func (l *lineReader) fill() {
	if l.start == l.end {
		l.start, l.end = 0, 0
	} else if l.start > 0 {
		l.end = copy(l.buf, l.buf[l.start:l.end])
		l.start = 0
	}
	if l.end == 0 && l.quiet >= quietReads && len(l.buf) > initialBufSize {
		l.buf = make([]byte, max(min(initialBufSize, l.limit+1), minBufSize))
		l.quiet = 0
	}
	busy := l.filled && 2*len(l.buf) <= busyBufSize && len(l.buf) <= l.limit
	if l.end == len(l.buf) || busy {
		grown := make([]byte, max(min(2*len(l.buf), l.limit+1), l.end+1))
		copy(grown, l.buf[:l.end])
		l.buf = grown
	}
	for range maxEmptyReads {
		n, err := l.r.Read(l.buf[l.end:])
		if n < 0 || n > len(l.buf)-l.end {
			n, err = 0, errBadCount
		}
		l.filled = n == len(l.buf)-l.end
		if l.end == 0 && n > 0 && n < quietReadSize {
			l.quiet++
		} else if n > 0 {
			l.quiet = 0
		}
		l.end += n
		if err != nil {
			l.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	l.err = io.ErrNoProgress
}

func tooLarge(field string, limit int) error {
	return &Error{Op: "read", Field: field, Limit: limit, Err: ErrTooLarge}
}
