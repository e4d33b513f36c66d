package hostile

import "time"

// DrawLifetimes draws n lifetimes from f's seeded source, as new
// connections would.
func DrawLifetimes(f *FaultProxy, n int) []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]time.Duration, 0, n)
	for range n {
		d, _ := f.drawLifetime()
		out = append(out, d)
	}
	return out
}
