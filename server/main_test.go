package server

import (
	"testing"

	"github.com/tether-sdk/tether/internal/testkit"
)

// TestMain fails the run if a goroutine outlives the tests (every test shuts
// its Handler down in Cleanup).
func TestMain(m *testing.M) { testkit.Main(m) }
