package redisstore

import (
	"testing"

	"github.com/tether-sdk/tether/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }
