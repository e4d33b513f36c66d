package wire

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"unicode/utf8"
)

// JSON encoding (SSE and long-polling): every frame is a JSON array.
//
//	["m",12,"hello"]  ["b",13,"AP8Q"]  ["a",12]  ["p",12]  ["q",12]  ["u",12]
//	["h",{...}]  ["w",{...}]  ["c",{"code":1000,"reason":"bye"}]  ["e",{...}]  ["s"]
//
// Long-poll answers and send bodies are JSON arrays of frames. Numbers are
// JSON integers written as plain digits, at most MaxSafeInt.

// strictBase64 is the standard, padded alphabet, rejecting non-zero padding
// bits so that every accepted string is the one AppendJSON writes.
var strictBase64 = base64.StdEncoding.Strict()

// AppendJSON appends the JSON encoding of f, one JSON array, to dst. The
// output is valid UTF-8 and never contains a CR or LF byte, so it fits on
// one SSE data line. Text is written as a JSON string in which only '"',
// '\' and control characters are escaped; binary data as padded standard
// base64. It fails, returning dst unchanged and an error matching
// [ErrMalformed], if f is not a valid frame (see [AppendWS]) or a seq or ack
// is larger than [MaxSafeInt].
func AppendJSON(dst []byte, f *Frame) ([]byte, error) {
	if f == nil {
		return dst, malformed(EncodingJSON, "cannot encode a nil frame")
	}
	switch f.Kind {
	case KindText, KindBinary:
		if f.Seq == 0 {
			return dst, malformed(EncodingJSON, "cannot encode "+f.Kind.String()+" data frame: seq is 0")
		}
		if f.Seq > MaxSafeInt {
			return dst, malformed(EncodingJSON, "cannot encode "+f.Kind.String()+" data frame: seq is larger than 2^53-1")
		}
		if f.Kind == KindText && !utf8.Valid(f.Data) {
			return dst, malformed(EncodingJSON, "cannot encode text data frame: text is not valid UTF-8")
		}
		out := append(dst, '[', '"', byte(f.Kind), '"', ',')
		out = appendUint(out, f.Seq)
		out = append(out, ',')
		if f.Kind == KindText {
			out = appendJSONString(out, f.Data, false)
		} else {
			out = append(out, '"')
			out = base64.StdEncoding.AppendEncode(out, f.Data)
			out = append(out, '"')
		}
		return append(out, ']'), nil
	case KindAck, KindPing, KindPong, KindUpgrade:
		if f.Seq > MaxSafeInt {
			return dst, malformed(EncodingJSON, "cannot encode "+f.Kind.String()+" frame: ack is larger than 2^53-1")
		}
		out := append(dst, '[', '"', byte(f.Kind), '"', ',')
		return append(appendUint(out, f.Seq), ']'), nil
	case KindSuperseded:
		return append(dst, `["s"]`...), nil
	case KindHello, KindWelcome, KindClose, KindError:
		out, err := appendObject(append(dst, '[', '"', byte(f.Kind), '"', ','), f, EncodingJSON)
		if err != nil {
			return dst, err
		}
		return append(out, ']'), nil
	}
	return dst, malformed(EncodingJSON, "cannot encode frame of unknown kind "+f.Kind.String())
}

// AppendJSONBatch appends frames as one JSON array of frames ("[]" when
// there are none) to dst. On error it returns dst unchanged.
func AppendJSONBatch(dst []byte, frames []Frame) ([]byte, error) {
	out := append(dst, '[')
	for i := range frames {
		if i > 0 {
			out = append(out, ',')
		}
		var err error
		if out, err = AppendJSON(out, &frames[i]); err != nil {
			return dst, prefixReason(err, "batch frame "+strconv.Itoa(i)+": ")
		}
	}
	return append(out, ']'), nil
}

// ParseJSON parses one frame in the JSON encoding. maxPayload bounds the
// decoded data payload in bytes (<= 0: no bound); a larger one is an error
// matching [ErrTooLarge]. Anything else that is not a frame is an error
// matching [ErrMalformed]: input that is not valid UTF-8 or not valid JSON,
// a value that is not an array, an unknown kind, a wrong number of
// elements, a number that is not a plain non-negative integer up to
// [MaxSafeInt], a data seq of 0, base64 that is not standard and padded, or
// a missing or mistyped field in an object. Unknown fields in objects are
// ignored. JSON escapes of lone surrogates decode to U+FFFD.
//
// The Data of the returned frame may alias b (text without escapes is not
// copied); a caller that reuses b's buffer must copy Data first. The input
// size is not bounded here: callers bound the request body.
func ParseJSON(b []byte, maxPayload int) (Frame, error) {
	if f, ok := parseJSONData(b, maxPayload); ok {
		return f, nil
	}
	v, err := checkJSON(b, "frame")
	if err != nil {
		return Frame{}, err
	}
	return parseJSONFrame(v, maxPayload)
}

// ParseJSONBatch parses a JSON array of frames: a long-poll answer or a send
// body. An empty array yields no frames and no error. More than maxFrames
// frames (<= 0: no bound) is an error matching [ErrTooLarge]; maxPayload and
// the other errors are those of [ParseJSON], and the Data of the frames may
// alias b in the same way.
func ParseJSONBatch(b []byte, maxFrames, maxPayload int) ([]Frame, error) {
	v, err := checkJSON(b, "batch")
	if err != nil {
		return nil, err
	}
	if v[0] != '[' {
		return nil, malformed(EncodingJSON, "batch must be a JSON array of frames")
	}
	i := skipSpace(v, 1)
	if at(v, i) == ']' {
		return nil, nil
	}
	var frames []Frame
	for {
		if maxFrames > 0 && len(frames) == maxFrames {
			return nil, tooLarge(EncodingJSON, "batch has more than "+strconv.Itoa(maxFrames)+" frames")
		}
		end := valueEnd(v, i)
		f, err := parseJSONFrame(v[i:end], maxPayload)
		if err != nil {
			return nil, prefixReason(err, "batch frame "+strconv.Itoa(len(frames))+": ")
		}
		frames = append(frames, f)
		i = skipSpace(v, end)
		if at(v, i) != ',' {
			return frames, nil // valid JSON: this is the closing ']'
		}
		i = skipSpace(v, i+1)
	}
}

// checkJSON checks that b is valid UTF-8 and one valid JSON value, and
// returns the value without surrounding white space.
func checkJSON(b []byte, what string) ([]byte, error) {
	if !utf8.Valid(b) {
		return nil, malformed(EncodingJSON, what+" is not valid UTF-8")
	}
	if reason := jsonSyntax(b); reason != "" {
		return nil, malformed(EncodingJSON, what+" is not valid JSON: "+reason)
	}
	start, end := skipSpace(b, 0), len(b)
	for end > start && isSpace(b[end-1]) {
		end--
	}
	return b[start:end], nil
}

// parseJSONFrame parses one frame array; v is a valid JSON value without
// surrounding white space.
func parseJSONFrame(v []byte, maxPayload int) (Frame, error) {
	if at(v, 0) != '[' {
		return Frame{}, malformed(EncodingJSON, "frame must be a JSON array")
	}
	var el [3][]byte
	n := 0
	for i := skipSpace(v, 1); at(v, i) != ']'; {
		if n == len(el) {
			return Frame{}, malformed(EncodingJSON, "frame array has more than 3 elements")
		}
		end := valueEnd(v, i)
		el[n] = v[i:end]
		n++
		i = skipSpace(v, end)
		if at(v, i) == ',' {
			i = skipSpace(v, i+1)
		}
	}
	if n == 0 {
		return Frame{}, malformed(EncodingJSON, "frame array is empty")
	}
	k, reason := parseJSONKind(el[0])
	if reason != "" {
		return Frame{}, malformed(EncodingJSON, reason)
	}
	want := 0
	switch k {
	case KindText, KindBinary:
		want = 3
	case KindAck, KindPing, KindPong, KindUpgrade, KindHello, KindWelcome, KindClose, KindError:
		want = 2
	case KindSuperseded:
		want = 1
	default:
		return Frame{}, malformed(EncodingJSON, "unknown frame kind "+quoteKind(byte(k)))
	}
	if n != want {
		return Frame{}, malformed(EncodingJSON, k.String()+" frame must have "+strconv.Itoa(want)+
			" elements, has "+strconv.Itoa(n))
	}
	switch k {
	case KindText, KindBinary:
		seq, err := parseJSONInt(k, "seq", el[1])
		if err != nil {
			return Frame{}, err
		}
		if seq == 0 {
			return Frame{}, malformed(EncodingJSON, k.String()+" data frame: seq is 0 (data seqs start at 1)")
		}
		var data []byte
		if k == KindText {
			data, err = parseJSONText(el[2], maxPayload)
		} else {
			data, err = parseJSONBase64(el[2], maxPayload)
		}
		if err != nil {
			return Frame{}, err
		}
		return Frame{Kind: k, Seq: seq, Data: data}, nil
	case KindAck, KindPing, KindPong, KindUpgrade:
		ack, err := parseJSONInt(k, "ack", el[1])
		if err != nil {
			return Frame{}, err
		}
		return Frame{Kind: k, Seq: ack}, nil
	case KindSuperseded:
		return Frame{Kind: k}, nil
	}
	return parseObject(k, el[1], EncodingJSON)
}

// parseJSONKind reads the kind string, the first element of a frame.
func parseJSONKind(raw []byte) (Kind, string) {
	if at(raw, 0) != '"' {
		return 0, "frame kind must be a JSON string"
	}
	if len(raw) == 3 && raw[1] != '\\' {
		return Kind(raw[1]), ""
	}
	if s := unquoteJSON(raw); len(s) == 1 {
		return Kind(s[0]), ""
	}
	return 0, "unknown frame kind " + string(raw)
}

// parseJSONInt reads a seq or an ack: plain digits up to MaxSafeInt.
func parseJSONInt(k Kind, what string, raw []byte) (uint64, error) {
	n, reason := parseUint(raw)
	if reason == "" && n > MaxSafeInt {
		reason = "number is larger than 2^53-1"
	}
	if reason != "" {
		return 0, malformed(EncodingJSON, k.String()+" frame: "+what+" must be a non-negative JSON integer: "+reason)
	}
	return n, nil
}

// parseJSONText decodes the JSON string of a text payload, without copying
// when it has no escapes.
func parseJSONText(raw []byte, maxPayload int) ([]byte, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, malformed(EncodingJSON, "text data frame: text must be a JSON string")
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		if maxPayload > 0 && len(inner) > maxPayload {
			return nil, payloadTooLarge(KindText, len(inner), maxPayload)
		}
		return inner, nil
	}
	if maxPayload > 0 && len(inner)/6 > maxPayload { // an escape is at most 6 bytes
		return nil, payloadTooLarge(KindText, len(inner)/6, maxPayload)
	}
	s := unquoteJSON(raw)
	if maxPayload > 0 && len(s) > maxPayload {
		return nil, payloadTooLarge(KindText, len(s), maxPayload)
	}
	return s, nil
}

// parseJSONBase64 decodes the JSON string of a binary payload.
func parseJSONBase64(raw []byte, maxPayload int) ([]byte, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, malformed(EncodingJSON, "binary data frame: data must be a JSON string")
	}
	s := raw[1 : len(raw)-1]
	if bytes.IndexByte(s, '\\') >= 0 { // escaped, e.g. "\/": unescape first
		s = unquoteJSON(raw)
	}
	// The base64 decoder skips CR and LF; the protocol does not.
	if len(s)%4 != 0 || bytes.IndexByte(s, '\r') >= 0 || bytes.IndexByte(s, '\n') >= 0 {
		return nil, malformed(EncodingJSON, "binary data frame: data is not padded standard base64")
	}
	size := len(s) / 4 * 3
	if len(s) > 0 && s[len(s)-1] == '=' {
		size--
		if s[len(s)-2] == '=' {
			size--
		}
	}
	if maxPayload > 0 && size > maxPayload {
		return nil, payloadTooLarge(KindBinary, size, maxPayload)
	}
	data := make([]byte, size)
	n, err := strictBase64.Decode(data, s)
	if err != nil || n != size {
		return nil, malformed(EncodingJSON, "binary data frame: data is not padded standard base64")
	}
	return data, nil
}

func payloadTooLarge(k Kind, size, max int) error {
	return tooLarge(EncodingJSON, k.String()+" data frame: payload of "+strconv.Itoa(size)+
		" bytes is over the limit of "+strconv.Itoa(max))
}

// prefixReason prefixes the reason of a *FormatError.
func prefixReason(err error, prefix string) error {
	if fe, ok := err.(*FormatError); ok {
		fe.Reason = prefix + fe.Reason
	}
	return err
}

// The helpers below walk a value already known to be valid JSON; they stay
// in bounds whatever the input.

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// at returns b[i], or 0 past the end.
func at(b []byte, i int) byte {
	if i < 0 || i >= len(b) {
		return 0
	}
	return b[i]
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value that starts at b[i].
func valueEnd(b []byte, i int) int {
	switch at(b, i) {
	case '"':
		return stringEnd(b, i)
	case '[', '{':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '[', '{':
				depth++
			case ']', '}':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	}
	for i < len(b) { // number, true, false, null
		switch b[i] {
		case ',', ']', '}', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return len(b)
}

// stringEnd returns the index just past the JSON string that starts at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b)
		}
		i += q
		// The quote ends the string unless an odd run of backslashes
		// escapes it.
		bs := 0
		for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
			bs++
		}
		if bs%2 == 0 {
			return i + 1
		}
		i++
	}
	return len(b)
}
