package storetest

import (
	"testing"

	"github.com/tether-sdk/tether/server"
)

func TestMemoryShared(t *testing.T) {
	Run(t, func(*testing.T) server.SharedStore { return server.NewMemoryShared() })
}
