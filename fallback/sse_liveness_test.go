package fallback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tether-sdk/tether/internal/link"
	"github.com/tether-sdk/tether/internal/wire"
)

// pipedSSE returns a config whose SSE attach is answered with the stream
// the test writes to the returned writer. As the real exchangers do, the
// request's end aborts the body.
func pipedSSE(t *testing.T) (*config, *io.PipeWriter) {
	pr, pw := io.Pipe()
	c := fakeConfig(t, func(ctx context.Context, q *request) (*answer, error) {
		context.AfterFunc(ctx, func() { pr.CloseWithError(context.Cause(ctx)) })
		a := okAnswer("text/event-stream", "")
		a.body = pr
		return a, nil
	})
	return c, pw
}

// welcomeEvent is the welcome event of a new session whose timeout is ms.
func welcomeEvent(ms int) string {
	return fmt.Sprintf(`data: ["w",{"v":1,"sid":"S","key":"K","resumed":false,"ack":0,"hb":25000,"timeout":%d,`+
		`"ttl":120000,"max":1048576,"poll":25000,"transports":["sse","longpoll"]}]`+"\n\n", ms)
}

// textEvent is the event of data frame seq.
func textEvent(seq int, text string) string {
	return fmt.Sprintf("id: %d\ndata: [\"m\",%d,%q]\n\n", seq, seq, text)
}

// TestSSELiveness: any byte, heartbeats too, keeps the stream alive past
// the welcome's timeout; a stream silent for that long kills the link, at
// that moment.
func TestSSELiveness(t *testing.T) {
	t.Run("silent", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c, w := pipedSSE(t)
			go io.WriteString(w, welcomeEvent(300))
			l, err := attachSSE(context.Background(), c, link.Attach{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			start := time.Now()
			_, err = l.Recv(context.Background())
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Recv on a silent stream: %v, want a liveness timeout", err)
			}
			if el := time.Since(start); el != 300*time.Millisecond { // synctest's clock
				t.Errorf("declared dead after %v of silence, want the 300 ms timeout", el)
			}
			if err := l.Send(context.Background(), []wire.Frame{{Kind: wire.KindText, Seq: 1, Data: []byte("x")}}); err == nil {
				t.Error("Send on a dead link succeeded")
			}
		})
	})
	t.Run("heartbeats", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c, w := pipedSSE(t)
			go func() {
				io.WriteString(w, welcomeEvent(300))
				for range 30 { // twice the timeout
					time.Sleep(20 * time.Millisecond)
					if _, err := io.WriteString(w, ":hb\n\n"); err != nil {
						return
					}
				}
				io.WriteString(w, textEvent(1, "after heartbeats"))
			}()
			l, err := attachSSE(context.Background(), c, link.Attach{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			f, err := l.Recv(context.Background())
			if err != nil || f.Seq != 1 || string(f.Data) != "after heartbeats" {
				t.Fatalf("got %v %d %q, %v", f.Kind, f.Seq, f.Data, err)
			}
		})
	})
}

// TestSSESlowConsumer: while Recv is not called the reader stops reading,
// and that silence does not count against the stream: a consumer away for
// twice the timeout still gets every frame.
func TestSSESlowConsumer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 40
		c, w := pipedSSE(t)
		stop := make(chan struct{})
		defer close(stop) // after l.Close: the heartbeats end with the test
		go func() {
			io.WriteString(w, welcomeEvent(200))
			for i := 1; i <= n; i++ {
				if _, err := io.WriteString(w, textEvent(i, fmt.Sprint("m", i))); err != nil {
					return
				}
			}
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				if _, err := io.WriteString(w, ":hb\n\n"); err != nil {
					return
				}
			}
		}()
		l, err := attachSSE(context.Background(), c, link.Attach{})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		synctest.Wait() // the reader is blocked on a full queue
		if s := l.(*sseLink).stream; len(s.frames) != streamQueueFrames {
			t.Fatalf("%d of %d frames buffered: the reader is not held back", len(s.frames), streamQueueFrames)
		}
		time.Sleep(400 * time.Millisecond) // the stimulus: a consumer away for 2 x timeout
		for i := 1; i <= n; i++ {
			f, err := l.Recv(context.Background())
			if err != nil || f.Seq != uint64(i) {
				t.Fatalf("frame %d: seq %d, %v", i, f.Seq, err)
			}
			if i == 1 {
				// Recv took the queue; the reader refills it meanwhile.
				synctest.Wait()
				s := l.(*sseLink).stream
				s.mu.Lock()
				held := len(s.frames) + len(s.took) - s.next
				s.mu.Unlock()
				if held > 2*streamQueueFrames {
					t.Fatalf("%d frames held, want at most %d", held, 2*streamQueueFrames)
				}
			}
		}
	})
}
