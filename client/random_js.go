//go:build js

package client

import (
	"syscall/js"
)

// randomBytes fills b from the browser's CSPRNG (crypto.getRandomValues):
// crypto/rand would bring Go's FIPS module (AES, SHA-2, SHA-3, DRBG) into
// the bundle for 16 bytes.
func randomBytes(b []byte) {
	a := js.Global().Get("Uint8Array").New(len(b))
	js.Global().Get("crypto").Call("getRandomValues", a)
	js.CopyBytesToGo(b, a)
}
