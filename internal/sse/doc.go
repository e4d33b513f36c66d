// Package sse reads and writes Server-Sent Events (the text/event-stream
// format of the HTML standard, section "Server-sent events").
//
// # Reading
//
// A [Reader] implements the standard's "event stream interpretation" over an
// [io.Reader] and hands back one dispatched [Event] per call to
// [Reader.Next]:
//
//   - the stream is UTF-8; one leading byte order mark is skipped, and
//     invalid byte sequences in values become U+FFFD exactly as the UTF-8
//     decode algorithm prescribes;
//   - a line ends in CRLF, LF or a lone CR, also when the CR and the LF
//     arrive in different reads; a lone CR is acted on at once, so the
//     reader never waits for more input to finish a line it has already
//     seen end;
//   - "name: value" lines lose one space after the colon, a line without a
//     colon is a field with an empty value, lines starting with a colon are
//     comments (handed to [Options.OnComment], which a client can use as a
//     liveness signal), unknown fields are ignored;
//   - "data" lines accumulate, "event" sets the type, "id" sets the last
//     event ID (ignored if it contains U+0000, reset by an empty value, kept
//     across events), "retry" sets the reconnection time when it is all
//     ASCII digits;
//   - a blank line dispatches the event, unless no data was seen, in which
//     case only the type is reset; an event cut off by the end of the
//     stream is never dispatched.
//
// Next returns [io.EOF] when the stream ends between events, and
// [io.ErrUnexpectedEOF] when it ends inside one (the partial event is
// dropped, as the standard requires). Either way a client reconnects,
// waiting [Reader.Retry] (when set) and sending [Reader.LastEventID] in the
// Last-Event-ID header; [Options.LastEventID] seeds the new Reader with it.
//
// Memory is bounded: a line longer than [Options.MaxLineBytes] or an event
// whose data exceeds [Options.MaxEventBytes] stops the reader with an error
// matching [ErrTooLarge]. The read buffer starts at 4 KiB, grows (up to 64
// KiB, within the line limit) while reads keep filling it, and goes back to
// 4 KiB once the stream is quiet again (eight small reads in a row). Apart
// from io.EOF and io.ErrUnexpectedEOF, which
// come back as they are, errors are [*Error] values whose messages start
// with "tether/sse: "; errors of the underlying reader or writer are
// wrapped and can be inspected with [errors.Is] and [errors.As].
//
// # Writing
//
// [AppendEvent] and [WriteEvent] encode an Event, splitting multi-line data
// into several data lines; [AppendComment] encodes a comment. Values the
// format cannot carry (a CR in data, a line break in an id or type, a NUL
// in an id, invalid UTF-8, a negative or sub-millisecond retry) are
// rejected with an error matching [ErrInvalid] rather than silently
// altered, so whatever the writer accepts a Reader reads back unchanged.
package sse
