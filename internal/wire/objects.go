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

// appendObject appends the JSON object of a hello, welcome, close or error
// frame after checking it.
func appendObject(dst []byte, f *Frame, enc string) ([]byte, error) {
	var reason string
	o := jsonObject{b: append(dst, '{')}
	switch f.Kind {
	case KindHello:
		h := f.Hello
		if h == nil {
			return dst, malformed(enc, "cannot encode hello frame: Hello is nil")
		}
		if reason = checkHello(h); reason == "" {
			o.int("v", int64(h.V))
			if h.SID != "" {
				o.str("sid", h.SID)
			}
			if h.Key != "" {
				o.str("key", h.Key)
			}
			if h.Ack != 0 {
				o.uint("ack", h.Ack)
			}
			if h.Probe {
				o.bool("probe", true)
			}
		}
	case KindWelcome:
		w := f.Welcome
		if w == nil {
			return dst, malformed(enc, "cannot encode welcome frame: Welcome is nil")
		}
		if reason = checkWelcome(w); reason == "" {
			o.int("v", int64(w.V))
			o.str("sid", w.SID)
			if w.Key != "" {
				o.str("key", w.Key)
			}
			o.bool("resumed", w.Resumed)
			if w.Probe {
				o.bool("probe", true)
			}
			o.uint("ack", w.Ack)
			o.int("hb", w.HB)
			o.int("timeout", w.Timeout)
			o.int("ttl", w.TTL)
			o.int("max", w.Max)
			o.int("poll", w.Poll)
			if w.Buf > 0 {
				o.int("buf", w.Buf)
			}
			o.key("transports") // required: [] when there are none, never null
			o.b = append(o.b, '[')
			for i, t := range w.Transports {
				if i > 0 {
					o.b = append(o.b, ',')
				}
				o.b = appendJSONQuoted(o.b, t)
			}
			o.b = append(o.b, ']')
		}
	case KindClose:
		c := f.Close
		if c == nil {
			return dst, malformed(enc, "cannot encode close frame: Close is nil")
		}
		if reason = checkClose(c); reason == "" {
			o.int("code", int64(c.Code))
			o.str("reason", c.Reason)
		}
	case KindError:
		e := f.Error
		if e == nil {
			return dst, malformed(enc, "cannot encode error frame: Error is nil")
		}
		if reason = checkError(e); reason == "" {
			o.str("code", e.Code)
			o.str("message", e.Message)
			if e.Status != 0 {
				o.int("status", int64(e.Status))
			}
			if len(e.Versions) > 0 {
				o.key("versions")
				o.b = append(o.b, '[')
				for i, v := range e.Versions {
					if i > 0 {
						o.b = append(o.b, ',')
					}
					o.b = strconv.AppendInt(o.b, int64(v), 10)
				}
				o.b = append(o.b, ']')
			}
			if e.Retry != 0 {
				o.int("retry", e.Retry)
			}
		}
	default:
		return dst, malformed(enc, "cannot encode "+f.Kind.String()+" frame as an object")
	}
	if reason != "" {
		return dst, malformed(enc, "cannot encode "+f.Kind.String()+" frame: "+reason)
	}
	return append(o.b, '}'), nil
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
	var reason string
	switch k {
	case KindHello:
		f.Hello, reason = parseHello(b)
	case KindWelcome:
		f.Welcome, reason = parseWelcome(b)
	case KindClose:
		f.Close, reason = parseClose(b)
	case KindError:
		f.Error, reason = parseError(b)
	default:
		return Frame{}, malformed(enc, what+" has no object")
	}
	if reason != "" {
		return Frame{}, malformed(enc, what+": "+reason)
	}
	return f, nil
}

// missing names the first required field not set, in the order given.
func missing(names []string, set []bool) string {
	for i, ok := range set {
		if !ok {
			return `field "` + names[i] + `" is missing`
		}
	}
	return ""
}

func parseHello(b []byte) (*Hello, string) {
	var h Hello
	var hasV bool
	reason := eachMember(b, func(key string, v []byte) (r string) {
		switch key {
		case "v":
			var n int64
			if n, hasV, r = jsonInt(key, v); hasV {
				h.V = int(n)
			}
		case "sid":
			if s, ok, r2 := jsonString(key, v); ok {
				h.SID = s
			} else {
				r = r2
			}
		case "key":
			if s, ok, r2 := jsonString(key, v); ok {
				h.Key = s
			} else {
				r = r2
			}
		case "ack":
			if n, ok, r2 := jsonUint(key, v); ok {
				h.Ack = n
			} else {
				r = r2
			}
		case "probe":
			if p, ok, r2 := jsonBool(key, v); ok {
				h.Probe = p
			} else {
				r = r2
			}
		}
		return r
	})
	if reason == "" {
		reason = missing([]string{"v"}, []bool{hasV})
	}
	if reason == "" {
		reason = checkHello(&h)
	}
	if reason != "" {
		return nil, reason
	}
	return &h, ""
}

func parseWelcome(b []byte) (*Welcome, string) {
	var w Welcome
	// set[i]: the required field names[i] was present and not null.
	names := []string{"v", "sid", "resumed", "ack", "hb", "timeout", "ttl", "max", "poll", "transports"}
	set := make([]bool, len(names))
	ints := map[string]*int64{"hb": &w.HB, "timeout": &w.Timeout, "ttl": &w.TTL, "max": &w.Max, "poll": &w.Poll, "buf": &w.Buf}
	reason := eachMember(b, func(key string, v []byte) (r string) {
		idx := -1
		for i, n := range names {
			if n == key {
				idx = i
			}
		}
		var ok bool
		switch key {
		case "v":
			var n int64
			if n, ok, r = jsonInt(key, v); ok {
				w.V = int(n)
			}
		case "sid":
			var s string
			if s, ok, r = jsonString(key, v); ok {
				w.SID = s
			}
		case "key":
			if s, set, r2 := jsonString(key, v); set {
				w.Key = s
			} else {
				r = r2
			}
		case "resumed":
			var x bool
			if x, ok, r = jsonBool(key, v); ok {
				w.Resumed = x
			}
		case "probe":
			if x, set, r2 := jsonBool(key, v); set {
				w.Probe = x
			} else {
				r = r2
			}
		case "ack":
			var n uint64
			if n, ok, r = jsonUint(key, v); ok {
				w.Ack = n
			}
		case "hb", "timeout", "ttl", "max", "poll", "buf":
			var n int64
			if n, ok, r = jsonInt(key, v); ok {
				*ints[key] = n
			}
		case "transports":
			var ts []string
			ts, ok, r = jsonStrings(key, v)
			w.Transports = ts
		}
		if idx >= 0 {
			set[idx] = ok // null clears a required field, as it does encoding/json's pointer
		}
		return r
	})
	if reason == "" {
		reason = missing(names, set)
	}
	if reason == "" {
		reason = checkWelcome(&w)
	}
	if reason != "" {
		return nil, reason
	}
	return &w, ""
}

func parseClose(b []byte) (*Close, string) {
	var c Close
	var hasCode bool
	reason := eachMember(b, func(key string, v []byte) (r string) {
		switch key {
		case "code":
			var n int64
			if n, hasCode, r = jsonInt(key, v); hasCode {
				c.Code = int(n)
			}
		case "reason":
			if s, ok, r2 := jsonString(key, v); ok {
				c.Reason = s
			} else {
				r = r2
			}
		}
		return r
	})
	if reason == "" {
		reason = missing([]string{"code"}, []bool{hasCode})
	}
	if reason == "" {
		reason = checkClose(&c)
	}
	if reason != "" {
		return nil, reason
	}
	return &c, ""
}

func parseError(b []byte) (*Error, string) {
	var e Error
	var hasCode bool
	reason := eachMember(b, func(key string, v []byte) (r string) {
		switch key {
		case "code":
			var s string
			if s, hasCode, r = jsonString(key, v); hasCode {
				e.Code = s
			}
		case "message":
			if s, ok, r2 := jsonString(key, v); ok {
				e.Message = s
			} else {
				r = r2
			}
		case "status":
			if n, ok, r2 := jsonInt(key, v); ok {
				e.Status = int(n)
			} else {
				r = r2
			}
		case "versions":
			var vs []int
			vs, _, r = jsonInts(key, v)
			e.Versions = vs
		case "retry":
			if n, ok, r2 := jsonInt(key, v); ok {
				e.Retry = n
			} else {
				r = r2
			}
		}
		return r
	})
	if reason == "" {
		reason = missing([]string{"code"}, []bool{hasCode})
	}
	if len(e.Versions) == 0 {
		e.Versions = nil // "versions":[] is written as nothing
	}
	if reason == "" {
		reason = checkError(&e)
	}
	if reason != "" {
		return nil, reason
	}
	return &e, ""
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
