package client

import (
	"context"

	"github.com/tether-sdk/tether/internal/link"
)

// streamProved moves the session to tr, a stream (SSE) that lost the
// connect race to won (long-polling) and then delivered its first event
// within its window: it works on this path, and beats the transport that
// won. It runs in the negotiation's drain goroutine, which may get the
// stream's first event before the caller of negotiate has adopted won: the
// proof is then kept, and adopt starts the move once won carries the session
// (afterAdopt). A proof for a winner that is replaced first is dropped.
func (c *Client) streamProved(tr string, won link.Link) {
	c.mu.Lock()
	if c.closed != nil || c.closing {
		c.mu.Unlock()
		return
	}
	from := c.cur
	if from == nil || from.l != won {
		c.proved = &provedStream{tr: tr, won: won}
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.startStreamUpgrade(from, tr)
}

// provedStream is a stream whose first event came after it lost the race
// to won, before won was adopted.
type provedStream struct {
	tr  string
	won link.Link
}

// takeProvedLocked returns the proof kept for cn's link, if any, and
// forgets any proof: adopting another link makes it stale.
func (c *Client) takeProvedLocked(cn *conn) string {
	p := c.proved
	c.proved = nil
	if p == nil || p.won != cn.l {
		return ""
	}
	return p.tr
}

// startStreamUpgrade attaches tr again in the background and moves the
// session from from to it (upgradeStream).
func (c *Client) startStreamUpgrade(from *conn, tr string) {
	if from.l.Transport() == tr || !c.usable(tr) {
		return
	}
	// The Add happens under c.mu and only while the client is open: finish
	// marks it closed under c.mu before Close waits on c.wg, so this caller
	// (the negotiation's drain goroutine, which c.wg does not count) never
	// adds to a WaitGroup that Close may already be waiting on.
	c.mu.Lock()
	if c.closed != nil || c.closing {
		c.mu.Unlock()
		return
	}
	c.wg.Add(1)
	c.mu.Unlock()
	go func() { defer c.wg.Done(); c.upgradeStream(c.ctx, from, tr) }()
}

// upgradeStream attaches the session once more over tr, a stream (SSE)
// whose first event came after it lost the connect race, and moves the
// session there once the new stream's first event (the welcome) arrives
// within its window, the way a reconnect resumes (PROTOCOL.md 7.2: the
// server resends above the attach's ack, the client above the welcome's):
// nothing is lost, duplicated or reordered. When it fails (its window runs
// out, PROTOCOL.md 8.1) the session stays on from.
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
