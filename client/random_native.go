//go:build !js

package client

import "crypto/rand"

// randomBytes fills b from the system's CSPRNG.
func randomBytes(b []byte) {
	rand.Read(b) // never fails (crypto/rand panics on failure since Go 1.24)
}
