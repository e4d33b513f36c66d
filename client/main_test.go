//go:build !js

package client

import (
	"fmt"
	"os"
	"testing"

	"github.com/tether-sdk/tether/internal/testkit"
)

// TestMain fails the run if a goroutine outlives the tests. With
// TETHER_IDLE_CHILD set it is TestIdleClientMemory's child process instead.
func TestMain(m *testing.M) {
	if url := os.Getenv("TETHER_IDLE_CHILD"); url != "" {
		if err := idleChild(url, os.Getenv("TETHER_IDLE_CA")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	testkit.Main(m)
}
