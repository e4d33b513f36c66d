package fallback

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
	"github.com/tether-sdk/tether/transport"
)

// fakeIO is an exchanger that answers from a function: the links' protocol
// logic under test without a network, natively and in js/wasm alike.
type fakeIO struct {
	serve func(ctx context.Context, q *request) (*answer, error)
}

func (f fakeIO) exchange(ctx context.Context, q *request) (*answer, error) {
	if q.wrote != nil {
		q.wrote()
	}
	return f.serve(ctx, q)
}

// fakeConfig is a config whose requests fakeIO answers with serve.
func fakeConfig(t *testing.T, serve func(ctx context.Context, q *request) (*answer, error)) *config {
	tg, err := transport.ParseTarget("https://example.com/rt", transport.URLRules{})
	if err != nil {
		t.Fatal(err)
	}
	return (&config{io: fakeIO{serve: serve}, target: tg}).defaults()
}

// okAnswer is a 200 answer with the body.
func okAnswer(contentType, body string) *answer {
	return &answer{status: 200, statusLine: "200 OK", header: transport.Header{"Content-Type": {contentType}},
		url: "https://example.com/rt", length: -1, body: io.NopCloser(strings.NewReader(body))}
}

// fakeWelcome is the JSON of a new session's welcome.
const fakeWelcome = `["w",{"v":1,"sid":"S","key":"K","resumed":false,"ack":0,"hb":25000,"timeout":45000,"ttl":120000,` +
	`"max":1048576,"poll":25000,"transports":["sse","longpoll"]}]`

// TestSSEWelcomeAfterOtherEventTypes: an event of another type before the
// welcome is skipped, as it is after it (PROTOCOL.md 6.4: Tether's events
// have the default type; a later revision may add others). The browser
// and the native link are the same code: this runs on both.
func TestSSEWelcomeAfterOtherEventTypes(t *testing.T) {
	stream := ":hi\n\nevent: notice\ndata: not tether\n\ndata: " + fakeWelcome + "\n\n" +
		"event: notice\ndata: again\n\nid: 1\ndata: [\"m\",1,\"after\"]\n\n"
	c := fakeConfig(t, func(_ context.Context, q *request) (*answer, error) {
		return okAnswer("text/event-stream", stream), nil
	})
	l, err := attachSSE(context.Background(), c, link.Attach{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if w := l.Welcome(); w.SID != "S" || w.Key != "K" {
		t.Fatalf("welcome %+v", w)
	}
	f, err := l.Recv(context.Background())
	if err != nil || f.Kind != wire.KindText || f.Seq != 1 || string(f.Data) != "after" {
		t.Fatalf("first frame %v %d %q, %v", f.Kind, f.Seq, f.Data, err)
	}
	if _, err := l.Recv(context.Background()); err == nil {
		t.Fatal("the stream ended, yet Recv returned no error")
	}
}
