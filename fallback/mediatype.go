package fallback

import "strings"

// isEventStream reports whether a Content-Type names an SSE stream: its
// media type, before any parameters, is text/event-stream in any case. The
// browser build checks with it rather than mime.ParseMediaType, which pulls
// fmt (and reflect) into the bundle; parameters are not checked (a
// malformed one does not make the stream any less an event stream).
func isEventStream(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.Trim(mt, " \t"), "text/event-stream")
}
