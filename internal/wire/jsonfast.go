package wire

import "unicode/utf8"

// ParseJSONUTF8 is [ParseJSON] for b that is known to be valid UTF-8 (an
// SSE event's data, which the event stream's decoding made so): the usual
// data frame is parsed without checking it again.
func ParseJSONUTF8(b []byte, maxPayload int) (Frame, error) {
	if f, ok := parseDataFast(b, maxPayload); ok {
		return f, nil
	}
	return ParseJSON(b, maxPayload)
}

// parseJSONData is ParseJSON's first try: the usual data frame in one pass.
func parseJSONData(b []byte, maxPayload int) (Frame, bool) {
	f, ok := parseDataFast(b, maxPayload)
	if ok && !utf8.Valid(f.Data) && f.Kind == KindText {
		return Frame{}, false
	}
	return f, ok
}

// parseDataFast parses the data frame every sender writes, ["m",SEQ,"TEXT"]
// or ["b",SEQ,"BASE64"] without white space and without an escape in the
// string, in one pass over the string instead of the general parser's
// several (syntax, element bounds, escapes). It does not check UTF-8. ok is
// false for anything else, and for any error: the general parser then says
// what is wrong, so both give the same frames and the same errors.
func parseDataFast(b []byte, maxPayload int) (f Frame, ok bool) {
	if len(b) < 10 || b[0] != '[' || b[1] != '"' || b[3] != '"' || b[4] != ',' || b[5] < '1' || b[5] > '9' {
		return Frame{}, false
	}
	k := Kind(b[2])
	if k != KindText && k != KindBinary {
		return Frame{}, false
	}
	i := 6
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	if len(b)-i < 4 || b[i] != ',' || b[i+1] != '"' {
		return Frame{}, false
	}
	seq, reason := parseUint(b[5:i])
	if reason != "" || seq > MaxSafeInt {
		return Frame{}, false
	}
	s := i + 2
	e := s + plainLen(b[s:])
	if e+2 != len(b) || b[e] != '"' || b[e+1] != ']' {
		return Frame{}, false
	}
	if k == KindText {
		if maxPayload > 0 && e-s > maxPayload {
			return Frame{}, false
		}
		return Frame{Kind: k, Seq: seq, Data: b[s:e]}, true
	}
	data, err := parseJSONBase64(b[s-1:e+1], maxPayload)
	if err != nil {
		return Frame{}, false
	}
	return Frame{Kind: k, Seq: seq, Data: data}, true
}
