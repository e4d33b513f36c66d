package client

import (
	"context"
	"errors"
	"strings"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// Every link the client uses goes through publicLinks, so that the errors
// reaching the application are public types (*ServerError, not the
// internal answer type), name their transport, say what to do when the
// library knows, and stay short and free of session ids.

type publicLinks struct{ d linkDialer }

func (p publicLinks) DialLink(ctx context.Context, tr string, header transport.Header, a link.Attach) (link.Link, error) {
	l, err := p.d.DialLink(ctx, tr, header, a)
	if err != nil {
		return nil, publicErr(tr, err)
	}
	return publicLink{l}, nil
}

type publicLink struct{ link.Link }

func (l publicLink) Send(ctx context.Context, frames []wire.Frame) error {
	if err := l.Link.Send(ctx, frames); err != nil {
		return publicErr(l.Transport(), err)
	}
	return nil
}

// CloseWith closes the link with a WebSocket close code when it has one.
func (l publicLink) CloseWith(code int) error {
	if cc, ok := l.Link.(interface{ CloseWith(code int) error }); ok {
		return cc.CloseWith(code)
	}
	return l.Link.Close()
}

func (l publicLink) Recv(ctx context.Context) (wire.Frame, error) {
	f, err := l.Link.Recv(ctx)
	if err != nil {
		return f, publicErr(l.Transport(), err)
	}
	return f, nil
}

// publicErr is err as the application sees it (see above).
func publicErr(tr string, err error) error {
	var se *link.ServerError
	var pub *ServerError
	var te *transportError
	var lp *link.ProtocolError
	switch {
	case errors.As(err, &pub), errors.As(err, &te):
		return err
	case errors.As(err, &lp):
		return &ProtocolError{Reason: lp.Reason, Err: lp.Err}
	case errors.As(err, &se):
		out := serverError(se.Transport, se.Answer, se.Err)
		var he *transport.HandshakeError
		if errors.As(se.Err, &he) {
			out.Retry = max(out.Retry, he.RetryAfter)
		}
		return out
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, errAttemptTimeout):
		return err
	}
	return &transportError{Transport: tr, Err: err, Hint: hintFor(err)}
}

// transportError is a transport's failure: its name, a short cause, and
// what to do about it when the library knows.
type transportError struct {
	Transport string
	Err       error
	Hint      string
}

func (e *transportError) Error() string {
	s := e.Err.Error()
	for _, p := range []string{"tether/transport: ", "tether: ", "fallback: "} {
		s = strings.TrimPrefix(s, p)
	}
	s = strings.TrimPrefix(s, e.Transport+": ") // the link named itself already
	s = "tether: " + e.Transport + ": " + shorten(s, 300)
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

func (e *transportError) Unwrap() error { return e.Err }

// Hints in the library's messages.
const (
	hintTrustCA  = "trust the server's CA (transport.Config.CAFiles or RootCAs; tether connect --cacert FILE)"
	hintHostname = "connect with a name the server's certificate covers"
)
