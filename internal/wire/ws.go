package wire

import (
	"strconv"
	"unicode/utf8"
)

// WebSocket encoding: one frame per WebSocket message, the kind character
// first.
//
//	text data     text message     m<seq> <text>      m12 hello world
//	binary data   binary message   b<seq> <bytes>     "b13 " then the raw bytes
//	a, p, q, u    text message     <kind><ack>        a12
//	h, w, c, e    text message     <kind><object>     h{"v":1}
//	s             text message     s                  s
//
// Numbers are decimal, without sign or leading zeros, and fit in a uint64
// (data seqs start at 1).

// AppendDataHeader appends the header of a data frame, "m<seq> " for
// [KindText] or "b<seq> " for [KindBinary], to dst. Written into one
// WebSocket message (text or binary respectively) followed by the payload,
// it makes the frame that [AppendWS] would make, without copying the
// payload. It does not check its arguments: kind must be KindText or
// KindBinary, seq must be at least 1, and a text payload must be valid
// UTF-8.
func AppendDataHeader(dst []byte, kind Kind, seq uint64) []byte {
	dst = append(dst, byte(kind))
	dst = appendUint(dst, seq)
	return append(dst, ' ')
}

// AppendWS appends the WebSocket encoding of f to dst and reports whether it
// must be sent as a binary message (only [KindBinary]) or a text message.
// It fails, returning dst unchanged and an error matching [ErrMalformed], if
// f is not a valid frame: an unknown kind, a data seq of 0, text data that is
// not valid UTF-8, a missing or invalid object. Numbers inside the JSON
// objects of hello, welcome, close and error frames must not exceed
// [MaxSafeInt]; data seqs and acks may use all 64 bits.
func AppendWS(dst []byte, f *Frame) (binary bool, out []byte, err error) {
	if f == nil {
		return false, dst, malformed(EncodingWebSocket, "cannot encode a nil frame")
	}
	switch f.Kind {
	case KindText:
		if f.Seq == 0 {
			return false, dst, malformed(EncodingWebSocket, "cannot encode text data frame: seq is 0")
		}
		if !utf8.Valid(f.Data) {
			return false, dst, malformed(EncodingWebSocket, "cannot encode text data frame: text is not valid UTF-8")
		}
		return false, append(AppendDataHeader(dst, KindText, f.Seq), f.Data...), nil
	case KindBinary:
		if f.Seq == 0 {
			return false, dst, malformed(EncodingWebSocket, "cannot encode binary data frame: seq is 0")
		}
		return true, append(AppendDataHeader(dst, KindBinary, f.Seq), f.Data...), nil
	case KindAck, KindPing, KindPong, KindUpgrade:
		return false, appendUint(append(dst, byte(f.Kind)), f.Seq), nil
	case KindSuperseded:
		return false, append(dst, byte(KindSuperseded)), nil
	case KindHello, KindWelcome, KindClose, KindError:
		out, err := appendObject(append(dst, byte(f.Kind)), f, EncodingWebSocket)
		if err != nil {
			return false, dst, err
		}
		return false, out, nil
	}
	return false, dst, malformed(EncodingWebSocket, "cannot encode frame of unknown kind "+f.Kind.String())
}

// ParseWS parses one WebSocket message: binary tells whether it arrived as a
// binary message, msg is its content. maxPayload bounds the data payload in
// bytes (<= 0: no bound); a larger one is an error matching [ErrTooLarge].
// Any other problem is an error matching [ErrMalformed]: an empty message, an
// unknown kind, binary data in a text message or anything else in a binary
// message, a number that is not in the strict decimal form or does not fit,
// a data seq of 0, text that is not valid UTF-8, a missing or invalid JSON
// object or a missing or mistyped field in it, or extra bytes.
//
// ParseWS does not copy: the Data of the returned frame aliases msg, so a
// caller that reuses msg's buffer must copy Data first. The JSON objects of
// hello, welcome, close and error frames are decoded into new values.
func ParseWS(binary bool, msg []byte, maxPayload int) (Frame, error) {
	if len(msg) == 0 {
		return Frame{}, malformed(EncodingWebSocket, "empty message")
	}
	k := Kind(msg[0])
	if binary {
		if k != KindBinary {
			return Frame{}, malformed(EncodingWebSocket, "binary message must be a binary data frame, got kind "+quoteKind(msg[0]))
		}
		return parseWSData(k, msg, maxPayload)
	}
	switch k {
	case KindText:
		return parseWSData(k, msg, maxPayload)
	case KindAck, KindPing, KindPong, KindUpgrade:
		n, reason := parseUint(msg[1:])
		if reason != "" {
			return Frame{}, malformed(EncodingWebSocket, k.String()+" frame: "+reason)
		}
		return Frame{Kind: k, Seq: n}, nil
	case KindSuperseded:
		if len(msg) != 1 {
			return Frame{}, malformed(EncodingWebSocket, "superseded frame: unexpected bytes after the kind")
		}
		return Frame{Kind: k}, nil
	case KindHello, KindWelcome, KindClose, KindError:
		if !utf8.Valid(msg) {
			return Frame{}, malformed(EncodingWebSocket, k.String()+" frame: text message is not valid UTF-8")
		}
		return parseObject(k, msg[1:], EncodingWebSocket)
	case KindBinary:
		return Frame{}, malformed(EncodingWebSocket, "binary data frame in a text message")
	}
	return Frame{}, malformed(EncodingWebSocket, "unknown frame kind "+quoteKind(msg[0]))
}

// parseWSData parses "m<seq> <text>" or "b<seq> <bytes>".
func parseWSData(k Kind, msg []byte, maxPayload int) (Frame, error) {
	i := 1
	for i < len(msg) && i <= 21 && msg[i] >= '0' && msg[i] <= '9' { // a uint64 has at most 20 digits
		i++
	}
	switch {
	case i == len(msg):
		return Frame{}, malformed(EncodingWebSocket, k.String()+" data frame: missing space after the seq")
	case msg[i] != ' ' && i > 21:
		return Frame{}, malformed(EncodingWebSocket, k.String()+" data frame: seq: number does not fit in 64 bits")
	case msg[i] != ' ':
		return Frame{}, malformed(EncodingWebSocket, k.String()+" data frame: seq must be decimal digits followed by a space")
	}
	seq, reason := parseUint(msg[1:i])
	if reason != "" {
		return Frame{}, malformed(EncodingWebSocket, k.String()+" data frame: seq: "+reason)
	}
	if seq == 0 {
		return Frame{}, malformed(EncodingWebSocket, k.String()+" data frame: seq is 0 (data seqs start at 1)")
	}
	data := msg[i+1:]
	if maxPayload > 0 && len(data) > maxPayload {
		return Frame{}, tooLarge(EncodingWebSocket, k.String()+" data frame: payload of "+strconv.Itoa(len(data))+
			" bytes is over the limit of "+strconv.Itoa(maxPayload))
	}
	if k == KindText && !utf8.Valid(data) {
		return Frame{}, malformed(EncodingWebSocket, "text data frame: text is not valid UTF-8")
	}
	return Frame{Kind: k, Seq: seq, Data: data}, nil
}

// quoteKind quotes a kind byte for an error message.
func quoteKind(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return Kind(c).String()
}
