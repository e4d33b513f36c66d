package client

// Message is one application message.
type Message struct {
	// Binary is false for a UTF-8 text message, true for bytes.
	Binary bool
	// Data is the payload. A received Message owns its Data; a sent one must
	// not be modified after Send returns.
	Data []byte
}

// Text returns a text message.
func Text(s string) Message { return Message{Data: []byte(s)} }

// Binary returns a binary message.
func Binary(b []byte) Message { return Message{Binary: true, Data: b} }

// entry is one item of the inbox: a message, or the loss of the session
// (err) between the old session's messages and the new one's.
type entry struct {
	m   Message
	err error
}
