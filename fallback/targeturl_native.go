//go:build !js

package fallback

import "net/url"

// targetURL is the type of transport.Target's URLs.
type targetURL = url.URL
