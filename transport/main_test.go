//go:build !js

package transport

import (
	"testing"

	"github.com/tether-sdk/tether/internal/testkit"
)

// TestMain fails the run if a goroutine outlives the tests.
func TestMain(m *testing.M) { testkit.Main(m) }
