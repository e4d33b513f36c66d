package mobile

// Handler receives a Client's messages, state changes and errors. The app
// implements it (a Kotlin or Java class, a Swift class conforming to the
// protocol). Its methods are called in order by one goroutine (a thread
// Go made; on Android post to the main Looper, on iOS to the main queue, to
// touch the UI), never two at a time and never re-entered: a method is not
// called again before the previous call returned. A method must not block
// for long (messages wait while it runs, and the server is slowed down
// through the bounded inbox), and must not throw: an exception thrown in a
// callback is dropped by the bindings.
type Handler interface {
	// OnMessage receives a message from the server, in order, exactly once
	// while the session lives.
	OnMessage(m *Message)
	// OnStateChange reports a change of the connection state.
	OnStateChange(s *StateChange)
	// OnError reports an error that does not end the client: a lost
	// session (class "session_lost", with the messages that may not have
	// arrived), a panic recovered in a callback (class "panic"). Errors that
	// end the client arrive with the StateClosed change.
	OnError(e *ErrorInfo)
}

// Message kinds.
const (
	KindText   = 0 // UTF-8 text
	KindBinary = 1 // bytes
)

// Message is a message from the server (or, in a MessageList, one sent to
// it).
type Message struct {
	kind int
	data []byte
}

// Kind is KindText or KindBinary.
func (m *Message) Kind() int { return m.kind }

// IsBinary reports Kind() == KindBinary.
func (m *Message) IsBinary() bool { return m.kind == KindBinary }

// Data returns the payload (a copy, in Java and Swift).
func (m *Message) Data() []byte { return m.data }

// Text returns the payload as a string (meaningful for KindText).
func (m *Message) Text() string { return string(m.data) }

// MessageList is a list of messages: Count and At(i), 0 <= i < Count.
type MessageList struct {
	items []*Message
}

// Count is the number of messages.
func (l *MessageList) Count() int { return len(l.items) }

// At returns message i, or nil when i is out of range.
func (l *MessageList) At(i int) *Message {
	if i < 0 || i >= len(l.items) {
		return nil
	}
	return l.items[i]
}

// Connection states (StateChange.State).
const (
	StateConnecting   = 0 // a connect started
	StateConnected    = 1 // a transport carries the session (Transport says which)
	StateDisconnected = 2 // the connection was lost (Cause says why); a reconnect follows
	StateReconnecting = 3 // the next connect starts after DelayMs
	StatePaused       = 4 // Pause dropped the connection; the session waits on the server for Resume
	StateClosed       = 5 // the client ended: after Close (Cause is nil), or for good (Cause says why)
)

// StateChange is one change of the connection state.
type StateChange struct {
	state     int
	transport string
	reason    string
	resumed   bool
	attempt   int
	delayMs   int64
	err       *ErrorInfo
}

// State is one of the State constants.
func (s *StateChange) State() int { return s.state }

// StateName is the state as a word: "connecting", "connected",
// "disconnected", "reconnecting", "paused" or "closed".
func (s *StateChange) StateName() string { return stateName(s.state) }

// Transport is the transport of the connection: "websocket", "sse",
// "longpoll" (StateConnected, StateDisconnected), or "".
func (s *StateChange) Transport() string { return s.transport }

// Reason says why, in words: why this transport was chosen, why the
// connection was lost.
func (s *StateChange) Reason() string { return s.reason }

// Resumed reports, for StateConnected, that the session was resumed (nothing
// lost) rather than started.
func (s *StateChange) Resumed() bool { return s.resumed }

// Attempt is the connect attempt (StateConnecting, StateReconnecting), from 1.
func (s *StateChange) Attempt() int { return s.attempt }

// DelayMs is the wait before the next connect (StateReconnecting).
func (s *StateChange) DelayMs() int64 { return s.delayMs }

// Cause is why (StateDisconnected, StateReconnecting, StateClosed), or nil.
func (s *StateChange) Cause() *ErrorInfo { return s.err }

func stateName(s int) string {
	names := []string{"connecting", "connected", "disconnected", "reconnecting", "paused", "closed"}
	if s >= 0 && s < len(names) {
		return names[s]
	}
	return "unknown"
}
