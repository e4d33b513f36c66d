package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// MaxSharedAuthBytes bounds the encoded Session.Auth a shared store keeps
// (Options.SharedAuth): a session whose encoding is larger is refused
// (ErrAuthTooLarge, logged; the client gets a retryable error).
const MaxSharedAuthBytes = 4096

// AuthCodec turns what Options.Authenticate returned into bytes a
// SharedStore keeps with the session, and back, on the node that takes the
// session over (Options.SharedAuth).
type AuthCodec struct {
	// Encode is called once, when the session starts, with what
	// Authenticate returned (nil included).
	Encode func(auth any) ([]byte, error)
	// Decode is called on a node that takes the session over, with what
	// Encode returned. An error is logged and Session.Auth is nil there.
	Decode func(b []byte) (any, error)
}

// ErrAuthTooLarge: Options.SharedAuth encoded a Session.Auth past
// MaxSharedAuthBytes.
var ErrAuthTooLarge = errors.New("tether/server: the encoded Session.Auth is over MaxSharedAuthBytes; keep less in it (an id to look the rest up by)")

// JSONAuth is an AuthCodec for Authenticate results of type T (a pointer
// type too: JSONAuth[*User]), encoded as JSON. A nil result stays nil;
// a result of another type refuses the session (Encode's error).
func JSONAuth[T any]() *AuthCodec {
	return &AuthCodec{
		Encode: func(a any) ([]byte, error) {
			switch a.(type) {
			case nil:
				return nil, nil
			case T:
				return json.Marshal(a)
			}
			return nil, fmt.Errorf("tether/server: JSONAuth[%v] given a %T: the authenticate function must return that type", reflect.TypeFor[T](), a)
		},
		Decode: func(b []byte) (any, error) {
			if len(b) == 0 {
				return nil, nil
			}
			p := new(T)
			if err := json.Unmarshal(b, p); err != nil {
				return nil, err
			}
			return *p, nil
		},
	}
}

// encodeAuth is what a new shared session's record keeps of its Auth.
func (h *Handler) encodeAuth(auth any) ([]byte, error) {
	c := h.opts.SharedAuth
	if c == nil || c.Encode == nil {
		return nil, nil
	}
	b, err := c.Encode(auth)
	if err != nil {
		return nil, fmt.Errorf("tether/server: Options.SharedAuth.Encode: %w", err)
	}
	if len(b) > MaxSharedAuthBytes {
		return nil, fmt.Errorf("%w (%d bytes, the bound is %d)", ErrAuthTooLarge, len(b), MaxSharedAuthBytes)
	}
	return b, nil
}

// decodeAuth rebuilds a mirrored session's Auth; nil when it cannot.
func (h *Handler) decodeAuth(sid string, b []byte) any {
	c := h.opts.SharedAuth
	if len(b) == 0 || c == nil || c.Decode == nil {
		return nil
	}
	v, err := c.Decode(b)
	if err != nil {
		h.opts.Logger.Error("could not decode the stored Session.Auth; it is nil on this node", "session", sid, "error", err)
		return nil
	}
	return v
}
