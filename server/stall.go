package server

import (
	"errors"
	"net"
	"net/http"
	"os"
	"time"
)

// supersededWriteBound is the longest a write may still take on a
// connection whose session another connection took over (a superseded
// WebSocket or SSE stream, a replaced long-poll): the client went elsewhere, most likely
// because this path froze, so its goroutine and buffers go at once.
const supersededWriteBound = time.Second

// writeFailed logs a write to a client that failed: "write stalled" when
// it hit its deadline, bound after it began (the path is frozen or the peer stopped reading),
// "write failed" otherwise. The caller returns, which detaches the
// transport; the session waits for SessionTTL as after any lost
// connection.
func (h *Handler) writeFailed(s *Session, transport string, bound time.Duration, err error) {
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		h.opts.Logger.Warn(transport+": write stalled "+bound.String()+": detached",
			"session", s.id, "transport", transport, "error", err)
		return
	}
	h.opts.Logger.Info(transport+": write failed: detached", "session", s.id, "transport", transport, "error", err)
}

// closeConn closes the connection under a finished HTTP/1 response, so an
// idle connection on a path the client left does not wait for the
// http.Server's IdleTimeout. On HTTP/2 (no Hijack) the stream simply ends.
func closeConn(rc *http.ResponseController) {
	if rc.Flush() != nil {
		return
	}
	if conn, _, err := rc.Hijack(); err == nil {
		conn.Close()
	}
}
