package fallback

import (
	"time"

	"github.com/tether-sdk/tether/internal/wire"
)

// The protocol's defaults and bounds live in internal/wire, shared by the
// native and the browser links.
const (
	defaultTimeout = wire.DefaultTimeout
	defaultPoll    = wire.DefaultPoll
	maxPayloadCap  = wire.MaxPayloadCap
)

func bodyLimit(max int64) int64                        { return wire.BodyLimit(max) }
func millis(ms int64, def time.Duration) time.Duration { return wire.Millis(ms, def) }
func parseErrorObject(body []byte) (*wire.Error, bool) { return wire.ParseErrorObject(body) }
