package procs

import "sync"

// logMax is how much of a process's output a logBuf keeps (the last bytes).
const logMax = 1 << 20

// logBuf keeps a process's output (the last logMax bytes) and tells waiters
// when it grows.
type logBuf struct {
	mu   sync.Mutex
	b    []byte
	wake chan struct{}
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	if len(l.b) > logMax {
		l.b = append([]byte(nil), l.b[len(l.b)-logMax:]...)
	}
	if l.wake != nil {
		close(l.wake)
		l.wake = nil
	}
	return len(p), nil
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// changed returns a channel closed at the next write.
func (l *logBuf) changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.wake == nil {
		l.wake = make(chan struct{})
	}
	return l.wake
}
