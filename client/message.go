package client

// Message is one application message.
type Message struct {
	// Binary is false for a UTF-8 text message, true for bytes.
	Binary bool
	// Data is the payload. A received Message owns its Data: it is the
	// buffer the transport read the message into, handed over without a
	// copy and never touched by the client again, so the application may
	// keep or modify it (its capacity may exceed its length by a frame
	// header). A sent one must not be modified after Send returns: the
	// client keeps it, without a copy, until the server acknowledged it.
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
