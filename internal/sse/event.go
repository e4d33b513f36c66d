package sse

import "time"

// DefaultType is the type of an event whose block had no (or an empty)
// "event" field.
const DefaultType = "message"

// Event is one dispatched server-sent event.
type Event struct {
	// ID is the last event ID at the time of dispatch. As in the browser's
	// MessageEvent.lastEventId it persists across events: an event without
	// an "id" field carries the ID of the most recent one that had it, and
	// an empty "id" field resets it to "".
	ID string

	// Type is the value of the block's last "event" field, or DefaultType
	// ("message") when there was none. The writer treats "" as DefaultType.
	Type string

	// Data is the block's "data" values joined with "\n".
	Data string

	// Retry is the value of the last valid "retry" field in this event's
	// block (since the previous blank line), or 0 if there was none; see
	// HasRetry. A "retry" field also changes the reader's reconnection
	// time, see Reader.Retry, even in a block that dispatches nothing.
	Retry time.Duration

	// HasRetry reports whether the block had a valid "retry" field, which
	// tells "retry: 0" apart from no retry at all. The writer emits a
	// "retry" field when HasRetry is set or Retry is not 0.
	HasRetry bool
}
