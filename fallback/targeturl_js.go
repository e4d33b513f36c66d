//go:build js

package fallback

import "github.com/tether-sdk/tether/transport"

// targetURL is the type of transport.Target's URLs (the browser build's
// own: it links no net/url).
type targetURL = transport.URL
