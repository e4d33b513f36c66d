package wire

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// The JSON objects of hello, welcome, close and error frames are the same in
// both encodings. They are written with encoding/json from the exported
// structs and read into the structs below, whose pointer fields tell a
// missing field from a zero one. Unknown fields are ignored, so that a later
// revision of v1 can add optional fields.

type helloIn struct {
	V     *int   `json:"v"`
	SID   string `json:"sid"`
	Key   string `json:"key"`
	Ack   uint64 `json:"ack"`
	Probe bool   `json:"probe"`
}

type welcomeIn struct {
	V          *int      `json:"v"`
	SID        *string   `json:"sid"`
	Key        string    `json:"key"`
	Resumed    *bool     `json:"resumed"`
	Probe      bool      `json:"probe"`
	Ack        *uint64   `json:"ack"`
	HB         *int64    `json:"hb"`
	Timeout    *int64    `json:"timeout"`
	TTL        *int64    `json:"ttl"`
	Max        *int64    `json:"max"`
	Poll       *int64    `json:"poll"`
	Transports *[]string `json:"transports"`
}

type closeIn struct {
	Code   *int   `json:"code"`
	Reason string `json:"reason"`
}

type errorIn struct {
	Code     *string `json:"code"`
	Message  string  `json:"message"`
	Status   int     `json:"status"`
	Versions []int   `json:"versions"`
	Retry    int64   `json:"retry"`
}

// appendObject appends the JSON object of a hello, welcome, close or error
// frame after checking it.
func appendObject(dst []byte, f *Frame, enc string) ([]byte, error) {
	var v any
	var reason string
	switch f.Kind {
	case KindHello:
		if f.Hello == nil {
			return dst, malformed(enc, "cannot encode hello frame: Hello is nil")
		}
		v, reason = f.Hello, checkHello(f.Hello)
	case KindWelcome:
		w := f.Welcome
		if w == nil {
			return dst, malformed(enc, "cannot encode welcome frame: Welcome is nil")
		}
		if w.Transports == nil { // "transports" is required: write [], not null
			c := *w
			c.Transports = []string{}
			w = &c
		}
		v, reason = w, checkWelcome(w)
	case KindClose:
		if f.Close == nil {
			return dst, malformed(enc, "cannot encode close frame: Close is nil")
		}
		v, reason = f.Close, checkClose(f.Close)
	case KindError:
		if f.Error == nil {
			return dst, malformed(enc, "cannot encode error frame: Error is nil")
		}
		v, reason = f.Error, checkError(f.Error)
	default:
		return dst, malformed(enc, "cannot encode "+f.Kind.String()+" frame as an object")
	}
	if reason != "" {
		return dst, malformed(enc, "cannot encode "+f.Kind.String()+" frame: "+reason)
	}
	b, err := json.Marshal(v)
	if err != nil { // not reachable with the checked structs above
		return dst, malformed(enc, "cannot encode "+f.Kind.String()+" frame: "+err.Error())
	}
	return append(dst, b...), nil
}

// parseObject parses the JSON object b of a frame of kind k. b must be
// valid UTF-8.
func parseObject(k Kind, b []byte, enc string) (Frame, error) {
	what := k.String() + " frame"
	if len(b) == 0 || b[0] != '{' || b[len(b)-1] != '}' {
		return Frame{}, malformed(enc, what+": expected a JSON object")
	}
	f := Frame{Kind: k}
	var reason string
	switch k {
	case KindHello:
		var in helloIn
		if err := json.Unmarshal(b, &in); err != nil {
			return Frame{}, malformed(enc, what+": "+describeJSONError(err))
		}
		if in.V == nil {
			return Frame{}, malformed(enc, what+`: field "v" is missing`)
		}
		f.Hello = &Hello{V: *in.V, SID: in.SID, Key: in.Key, Ack: in.Ack, Probe: in.Probe}
		reason = checkHello(f.Hello)
	case KindWelcome:
		var in welcomeIn
		if err := json.Unmarshal(b, &in); err != nil {
			return Frame{}, malformed(enc, what+": "+describeJSONError(err))
		}
		switch {
		case in.V == nil:
			reason = `field "v" is missing`
		case in.SID == nil:
			reason = `field "sid" is missing`
		case in.Resumed == nil:
			reason = `field "resumed" is missing`
		case in.Ack == nil:
			reason = `field "ack" is missing`
		case in.HB == nil:
			reason = `field "hb" is missing`
		case in.Timeout == nil:
			reason = `field "timeout" is missing`
		case in.TTL == nil:
			reason = `field "ttl" is missing`
		case in.Max == nil:
			reason = `field "max" is missing`
		case in.Poll == nil:
			reason = `field "poll" is missing`
		case in.Transports == nil:
			reason = `field "transports" is missing`
		}
		if reason != "" {
			return Frame{}, malformed(enc, what+": "+reason)
		}
		f.Welcome = &Welcome{
			V: *in.V, SID: *in.SID, Key: in.Key, Resumed: *in.Resumed, Probe: in.Probe,
			Ack: *in.Ack, HB: *in.HB, Timeout: *in.Timeout, TTL: *in.TTL, Max: *in.Max,
			Poll: *in.Poll, Transports: *in.Transports,
		}
		if f.Welcome.Transports == nil {
			f.Welcome.Transports = []string{}
		}
		reason = checkWelcome(f.Welcome)
	case KindClose:
		var in closeIn
		if err := json.Unmarshal(b, &in); err != nil {
			return Frame{}, malformed(enc, what+": "+describeJSONError(err))
		}
		if in.Code == nil {
			return Frame{}, malformed(enc, what+`: field "code" is missing`)
		}
		f.Close = &Close{Code: *in.Code, Reason: in.Reason}
		reason = checkClose(f.Close)
	case KindError:
		var in errorIn
		if err := json.Unmarshal(b, &in); err != nil {
			return Frame{}, malformed(enc, what+": "+describeJSONError(err))
		}
		if in.Code == nil {
			return Frame{}, malformed(enc, what+`: field "code" is missing`)
		}
		f.Error = &Error{Code: *in.Code, Message: in.Message, Status: in.Status, Versions: in.Versions, Retry: in.Retry}
		if len(f.Error.Versions) == 0 {
			f.Error.Versions = nil // "versions":[] is written as nothing
		}
		reason = checkError(f.Error)
	default:
		return Frame{}, malformed(enc, what+" has no object")
	}
	if reason != "" {
		return Frame{}, malformed(enc, what+": "+reason)
	}
	return f, nil
}

// describeJSONError turns an encoding/json error into a reason that names
// the offending field rather than this package's internal types.
func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return "expected a JSON object, got " + te.Value
		}
		return strconv.Quote(te.Field) + " has the wrong type (" + te.Value + ")"
	}
	return "not valid JSON: " + err.Error()
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
