package client

import (
	"context"

	"github.com/tether-sdk/tether/internal/link"
)

// takeStreamSoon returns (and clears) the stream transport a connect race
// left unanswered when another transport won (noteRaceLost).
func (c *Client) takeStreamSoon() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	tr := c.streamSoon
	c.streamSoon = ""
	return tr
}

// upgradeStream attaches the session once more over tr, a stream (SSE)
// that lost the connect race while its first event was still held back,
// and moves the session there once its first event (the welcome) arrives
// within its window, the way a reconnect resumes (PROTOCOL.md 7.2: the
// server resends above the attach's ack, the client above the welcome's):
// nothing is lost, duplicated or reordered. A stream a buffering proxy
// holds back fails at its window (PROTOCOL.md 8.1), and the session stays
// on from. One attempt per connection.
func (c *Client) upgradeStream(ctx context.Context, from *conn, tr string) {
	ctx, cancel := context.WithTimeout(ctx, c.o.ConnectTimeout+c.o.FirstEventWait)
	defer cancel()
	header, err := c.headers(ctx)
	if err != nil {
		return
	}
	c.mu.Lock()
	a := link.Attach{SID: c.sid, Key: c.key, Ack: c.in.Recv()}
	c.mu.Unlock()
	l, err := c.links.DialLink(ctx, tr, header, a)
	if err != nil {
		c.o.Logger.Info("stream attach after the race failed: staying", "transport", tr, "on", from.l.Transport(), "error", err)
		return
	}
	c.mu.Lock()
	if c.cur != from || c.closed != nil || c.closing {
		c.mu.Unlock()
		l.Close()
		return
	}
	c.mu.Unlock()
	c.adopt(newConn(l), tr+" delivered its first event", 0, from.l.Transport())
	from.fail(errSuperseded)
}
