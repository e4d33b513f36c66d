// Package wire is Tether's wire protocol v1 in code: the frame model and its
// two encodings. PROTOCOL.md at the repository root is the specification;
// this package is the one place that turns frames into bytes and back, for
// the server handler and for the client (including the js/wasm build, so it
// uses the standard library only and never imports net).
//
// # Frames
//
// A [Frame] is one unit of the protocol: a hello or a welcome that attaches a
// transport to a session, a text or binary data message with its sequence
// number, a cumulative ack, a ping, a pong, an upgrade, a close, an error, or
// a superseded notice. [Kind] is the frame's one-character type, the first
// thing on the wire in both encodings. Frame.Seq is the data sequence number
// for [KindText] and [KindBinary] and the ack value for [KindAck],
// [KindPing], [KindPong] and [KindUpgrade]. Hello, welcome, close and error
// frames carry a small JSON object ([Hello], [Welcome], [Close], [Error]).
//
// # Encodings
//
// Over WebSocket every frame is one WebSocket message ([AppendWS],
// [ParseWS]). Data is sent raw after a short ASCII header ("m12 " for text,
// "b13 " for binary), so the hot path is [AppendDataHeader] followed by the
// payload, written into one message without copying it; [ParseWS] does not
// copy either: the Data of the frame it returns aliases the message.
//
// Over SSE and long-polling every frame is a JSON array such as
// ["m",12,"hello"] ([AppendJSON], [ParseJSON]); long-poll answers and send
// bodies are JSON arrays of frames ([AppendJSONBatch], [ParseJSONBatch]).
// Binary data is base64 (standard alphabet, padded), and every number in the
// JSON encoding is at most [MaxSafeInt] so that JavaScript can read it.
//
// # Protocol constants
//
// The names and numbers that are not frames but that both sides must agree
// on live here too: [Version] and [Subprotocol], the query parameters and
// header of the HTTP requests ([ParamMode], [HeaderKey], ...), the transport
// names of a welcome, the close codes, and the error codes with their HTTP
// status ([StatusOf]).
//
// # Errors
//
// Parsing never panics. Input that is not a valid frame yields a
// [*FormatError] that matches [ErrMalformed], or [ErrTooLarge] when a payload
// (or a batch) is over the caller's limit, so that a server can answer
// bad_request or message_too_large. Encoding a frame that the parser would
// reject is an error too: whatever the Append functions produce, the Parse
// functions read back unchanged.
package wire
