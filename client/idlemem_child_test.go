//go:build !js

package client

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/tether-sdk/tether/transport"
)

// idleMem is what the child process of TestIdleClientMemory measured.
type idleMem struct {
	Clients            int
	GoroutinesPerConn  float64
	StackBytesPerConn  float64
	SettledGoroutines  int
	BaselineGoroutines int
}

// idleChild is the child process of TestIdleClientMemory (TestMain runs
// it when TETHER_IDLE_CHILD names the server's URL): it dials idleClients
// clients, lets them settle idle, and prints what they hold, as JSON.
func idleChild(url, caFile string) error {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("no certificate in %s", caFile)
	}
	o := &Options{Dial: &transport.Config{RootCAs: pool, Proxy: transport.NoProxy}, Transports: []string{TransportWebSocket}}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	stack0, g0 := ms.StackInuse, runtime.NumGoroutine()
	clients := make([]*Client, idleClients)
	for i := range clients {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		c, err := Dial(ctx, url, o)
		cancel()
		if err != nil {
			return err
		}
		clients[i] = c
	}
	// The writers park once their first turn is done: wait for that (a
	// bound, not a timed assertion).
	g := runtime.NumGoroutine()
	for end := time.Now().Add(10 * time.Second); g > g0+idleClients && time.Now().Before(end); g = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	n := float64(idleClients)
	out, _ := json.Marshal(idleMem{Clients: idleClients, GoroutinesPerConn: float64(g-g0) / n,
		StackBytesPerConn: float64(ms.StackInuse-stack0) / n, SettledGoroutines: g, BaselineGoroutines: g0})
	fmt.Println(string(out))
	for _, c := range clients {
		c.Close(context.Background())
	}
	return nil
}

const idleClients = 256
