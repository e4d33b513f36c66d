package main

import (
	"sync"

	"github.com/tether-sdk/tether/server"
)

// echo sends every message back to its sender.
func echo(s *server.Session) {
	for {
		m, err := s.Receive(s.Context())
		if err != nil {
			return
		}
		if s.Send(s.Context(), m) != nil {
			return
		}
	}
}

// hub is chat mode: every message goes to every session, the sender too, in
// the order the hub took them. Each member has a bounded queue drained by
// its own goroutine; a member that falls that far behind is closed (4008)
// rather than slowing everyone down.
type hub struct {
	mu      sync.Mutex
	members map[*server.Session]chan server.Message
	publish func(server.Message) // with --redis: to every node (relay); nil: broadcast here
}

const (
	chatQueue    = 1024
	codeTooSlow  = 4008
	tooSlowWords = "too slow: the chat moved on without you"
)

func newHub() *hub { return &hub{members: map[*server.Session]chan server.Message{}} }

func (h *hub) serve(s *server.Session) {
	out := make(chan server.Message, chatQueue)
	h.mu.Lock()
	h.members[s] = out
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.members, s)
		h.mu.Unlock()
	}()
	go func() {
		for {
			select {
			case m := <-out:
				if s.Send(s.Context(), m) != nil {
					return
				}
			case <-s.Context().Done():
				return
			}
		}
	}()
	for {
		m, err := s.Receive(s.Context())
		if err != nil {
			return
		}
		if h.publish != nil {
			h.publish(m)
		} else {
			h.broadcast(m)
		}
	}
}

func (h *hub) broadcast(m server.Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s, out := range h.members {
		select {
		case out <- m:
		default:
			s.Close(codeTooSlow, tooSlowWords)
		}
	}
}
