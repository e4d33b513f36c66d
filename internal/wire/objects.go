package wire

import (
	"strconv"
	"unicode/utf8"
)

// The JSON objects of hello, welcome, close and error frames are the same in
// both encodings. They are written and read by hand (jsonvalue.go), with
// encoding/json's output and semantics for these shapes (json_diff_test.go
// holds them to it), so that the browser build links no encoding/json.
// Unknown fields are ignored, so that a later revision of v1 can add optional
// fields; a required field that is missing or null is an error.

// field is a member of a frame's object: its key, where its value is (one
// pointer set), whether it must be present and not null when read
// (required), and whether it is left out when zero when written (omit). A
// frame's fields are listed in the order they are written.
type field struct {
	key            string
	required, omit bool
	i              *int
	i64            *int64
	u64            *uint64
	s              *string
	b              *bool
	ss             *[]string
	is             *[]int
}

// objectField is the Frame field that holds a kind's object.
func objectField(k Kind) string {
	switch k {
	case KindHello:
		return "Hello"
	case KindWelcome:
		return "Welcome"
	case KindClose:
		return "Close"
	}
	return "Error"
}

// fieldsOf lists the fields of the object of f, which must be of its kind;
// nil if f has no object or it is nil.
func fieldsOf(f *Frame) []field {
	switch f.Kind {
	case KindHello:
		if h := f.Hello; h != nil {
			return []field{
				{key: "v", required: true, i: &h.V}, {key: "sid", omit: true, s: &h.SID},
				{key: "key", omit: true, s: &h.Key}, {key: "ack", omit: true, u64: &h.Ack},
				{key: "probe", omit: true, b: &h.Probe},
			}
		}
	case KindWelcome:
		if w := f.Welcome; w != nil {
			return []field{
				{key: "v", required: true, i: &w.V}, {key: "sid", required: true, s: &w.SID},
				{key: "key", omit: true, s: &w.Key}, {key: "resumed", required: true, b: &w.Resumed},
				{key: "probe", omit: true, b: &w.Probe}, {key: "ack", required: true, u64: &w.Ack},
				{key: "hb", required: true, i64: &w.HB}, {key: "timeout", required: true, i64: &w.Timeout},
				{key: "ttl", required: true, i64: &w.TTL}, {key: "max", required: true, i64: &w.Max},
				{key: "poll", required: true, i64: &w.Poll}, {key: "buf", omit: true, i64: &w.Buf},
				{key: "transports", required: true, ss: &w.Transports}, // written [] when empty, never null
			}
		}
	case KindClose:
		if c := f.Close; c != nil {
			return []field{{key: "code", required: true, i: &c.Code}, {key: "reason", s: &c.Reason}}
		}
	case KindError:
		if e := f.Error; e != nil {
			return []field{
				{key: "code", required: true, s: &e.Code}, {key: "message", s: &e.Message},
				{key: "status", omit: true, i: &e.Status}, {key: "versions", omit: true, is: &e.Versions},
				{key: "retry", omit: true, i64: &e.Retry},
			}
		}
	}
	return nil
}

// appendObject appends the JSON object of a hello, welcome, close or error
// frame after checking it.
func appendObject(dst []byte, f *Frame, enc string) ([]byte, error) {
	var reason string
	switch f.Kind {
	case KindHello:
		if f.Hello != nil {
			reason = checkHello(f.Hello)
		}
	case KindWelcome:
		if f.Welcome != nil {
			reason = checkWelcome(f.Welcome)
		}
	case KindClose:
		if f.Close != nil {
			reason = checkClose(f.Close)
		}
	case KindError:
		if f.Error != nil {
			reason = checkError(f.Error)
		}
	default:
		return dst, malformed(enc, "cannot encode "+f.Kind.String()+" frame as an object")
	}
	fields := fieldsOf(f)
	if fields == nil {
		return dst, malformed(enc, "cannot encode "+f.Kind.String()+" frame: "+objectField(f.Kind)+" is nil")
	}
	if reason != "" {
		return dst, malformed(enc, "cannot encode "+f.Kind.String()+" frame: "+reason)
	}
	b := append(dst, '{')
	for _, fd := range fields {
		if fd.omit && fd.zero() {
			continue
		}
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		b = append(append(append(b, '"'), fd.key...), '"', ':')
		b = fd.appendValue(b)
	}
	return append(b, '}'), nil
}

// zero reports whether the value of fd is its type's zero (an empty array
// for a slice).
func (fd *field) zero() bool {
	switch {
	case fd.i != nil:
		return *fd.i == 0
	case fd.i64 != nil:
		return *fd.i64 == 0
	case fd.u64 != nil:
		return *fd.u64 == 0
	case fd.s != nil:
		return *fd.s == ""
	case fd.b != nil:
		return !*fd.b
	case fd.ss != nil:
		return len(*fd.ss) == 0
	}
	return len(*fd.is) == 0
}

// appendValue appends the value of fd as encoding/json's Marshal writes it
// (a nil slice as []).
func (fd *field) appendValue(b []byte) []byte {
	switch {
	case fd.i != nil:
		return strconv.AppendInt(b, int64(*fd.i), 10)
	case fd.i64 != nil:
		return strconv.AppendInt(b, *fd.i64, 10)
	case fd.u64 != nil:
		return strconv.AppendUint(b, *fd.u64, 10)
	case fd.s != nil:
		return appendJSONString(b, []byte(*fd.s), true)
	case fd.b != nil:
		return strconv.AppendBool(b, *fd.b)
	}
	b = append(b, '[')
	if fd.ss != nil {
		for i, s := range *fd.ss {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, []byte(s), true)
		}
	} else {
		for i, v := range *fd.is {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(v), 10)
		}
	}
	return append(b, ']')
}

// parseObject parses the JSON object b of a frame of kind k. b must be
// valid UTF-8.
func parseObject(k Kind, b []byte, enc string) (Frame, error) {
	what := k.String() + " frame"
	if len(b) == 0 || b[0] != '{' || b[len(b)-1] != '}' {
		return Frame{}, malformed(enc, what+": expected a JSON object")
	}
	if reason := jsonSyntax(b); reason != "" {
		return Frame{}, malformed(enc, what+": not valid JSON: "+reason)
	}
	f := Frame{Kind: k}
	switch k {
	case KindHello:
		f.Hello = &Hello{}
	case KindWelcome:
		f.Welcome = &Welcome{}
	case KindClose:
		f.Close = &Close{}
	case KindError:
		f.Error = &Error{}
	default:
		return Frame{}, malformed(enc, what+" has no object")
	}
	reason := readFields(b, fieldsOf(&f))
	if reason == "" {
		switch k {
		case KindHello:
			reason = checkHello(f.Hello)
		case KindWelcome:
			reason = checkWelcome(f.Welcome)
		case KindClose:
			reason = checkClose(f.Close)
		case KindError:
			if len(f.Error.Versions) == 0 {
				f.Error.Versions = nil // "versions":[] is written as nothing
			}
			reason = checkError(f.Error)
		}
	}
	if reason != "" {
		return Frame{}, malformed(enc, what+": "+reason)
	}
	return f, nil
}

// readFields reads the members of the JSON object b into fields, as
// encoding/json's Unmarshal would into a struct with a pointer for each
// required field: keys match case-insensitively, the last of a repeated key
// wins, null leaves a scalar as it is and sets a slice to empty, a required
// field must end present and not null, unknown keys are ignored.
func readFields(b []byte, fields []field) string {
	var set uint64 // bit i: fields[i] was read, not null
	reason := eachMember(b, func(key string, v []byte) string {
		for i := range fields {
			if fields[i].key == key {
				ok, reason := fields[i].read(key, v)
				set &^= 1 << i
				if ok {
					set |= 1 << i
				}
				return reason
			}
		}
		return ""
	})
	if reason != "" {
		return reason
	}
	for i, fd := range fields {
		if fd.required && set&(1<<i) == 0 {
			return `field "` + fd.key + `" is missing`
		}
	}
	return ""
}

// read reads the value v of fd's member key; ok is false for null.
func (fd *field) read(key string, v []byte) (ok bool, reason string) {
	switch {
	case fd.i != nil, fd.i64 != nil:
		var n int64
		if n, ok, reason = jsonInt(key, v); ok {
			if fd.i != nil {
				*fd.i = int(n)
			} else {
				*fd.i64 = n
			}
		}
	case fd.u64 != nil:
		var n uint64
		if n, ok, reason = jsonUint(key, v); ok {
			*fd.u64 = n
		}
	case fd.s != nil:
		var s string
		if s, ok, reason = jsonString(key, v); ok {
			*fd.s = s
		}
	case fd.b != nil:
		var x bool
		if x, ok, reason = jsonBool(key, v); ok {
			*fd.b = x
		}
	case fd.ss != nil:
		*fd.ss, ok, reason = jsonStrings(key, v)
	default:
		*fd.is, ok, reason = jsonInts(key, v)
	}
	return ok, reason
}

func checkHello(h *Hello) string {
	switch {
	case h.V < 1 || int64(h.V) > MaxSafeInt:
		return `"v" must be a positive integer`
	case h.Ack > MaxSafeInt:
		return `"ack" is larger than 2^53-1`
	case !utf8.ValidString(h.SID) || !utf8.ValidString(h.Key):
		return "a string is not valid UTF-8"
	}
	return ""
}

func checkWelcome(w *Welcome) string {
	switch {
	case w.V < 1 || int64(w.V) > MaxSafeInt:
		return `"v" must be a positive integer`
	case w.SID == "":
		return `"sid" is empty`
	case w.Ack > MaxSafeInt:
		return `"ack" is larger than 2^53-1`
	case !inRange(w.HB):
		return `"hb" is negative or larger than 2^53-1`
	case !inRange(w.Timeout):
		return `"timeout" is negative or larger than 2^53-1`
	case !inRange(w.TTL):
		return `"ttl" is negative or larger than 2^53-1`
	case !inRange(w.Max):
		return `"max" is negative or larger than 2^53-1`
	case !inRange(w.Poll):
		return `"poll" is negative or larger than 2^53-1`
	case !inRange(w.Buf):
		return `"buf" is negative or larger than 2^53-1`
	case !utf8.ValidString(w.SID) || !utf8.ValidString(w.Key):
		return "a string is not valid UTF-8"
	}
	for _, t := range w.Transports {
		if !utf8.ValidString(t) {
			return "a string is not valid UTF-8"
		}
	}
	return ""
}

func checkClose(c *Close) string {
	switch {
	case c.Code < MinCloseCode || c.Code > MaxCloseCode:
		return `"code" must be between 1000 and 4999`
	case !utf8.ValidString(c.Reason):
		return `"reason" is not valid UTF-8`
	}
	return ""
}

func checkError(e *Error) string {
	switch {
	case e.Code == "":
		return `"code" is empty`
	case e.Status != 0 && (e.Status < 100 || e.Status > 599):
		return `"status" is not an HTTP status`
	case !inRange(e.Retry):
		return `"retry" is negative or larger than 2^53-1`
	case !utf8.ValidString(e.Code) || !utf8.ValidString(e.Message):
		return "a string is not valid UTF-8"
	}
	for _, v := range e.Versions {
		if v < 1 || int64(v) > MaxSafeInt {
			return `"versions" must hold positive integers`
		}
	}
	return ""
}

func inRange(v int64) bool { return v >= 0 && v <= MaxSafeInt }
