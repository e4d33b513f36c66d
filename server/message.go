package server

// Message is one application message.
type Message struct {
	// Binary is false for a UTF-8 text message, true for bytes.
	Binary bool
	// Data is the payload.
	//
	// Ownership: a Message returned by Session.Receive owns its Data (a
	// copy made once, when the frame was read: the transport's read buffer
	// is reused for the next message and is never handed out). The
	// application may keep, modify or pass it to Send. A Message given to
	// Send is kept, not copied, until the client acknowledges it: Data must
	// not be modified after Send returns.
	Data []byte
}

// Text returns a text message.
func Text(s string) Message { return Message{Data: []byte(s)} }

// Binary returns a binary message.
func Binary(b []byte) Message { return Message{Binary: true, Data: b} }
