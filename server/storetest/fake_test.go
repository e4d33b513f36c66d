package storetest

import (
	"testing"

	"github.com/tether-sdk/tether/server"
)

func TestFake(t *testing.T) {
	Run(t, func(*testing.T) server.SharedStore { return NewFake() })
}
