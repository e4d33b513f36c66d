package fallback

import (
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// An SSE attach waits up to FirstEventWait for its welcome event after the
// request was written (a buffering proxy withholds it) and gives way when
// it runs out: the client's slow timer must not cut that window short.
func init() {
	link.RegisterPatience(wire.TransportSSE, func(e *link.Env) time.Duration { return e.FirstEventWait })
}
