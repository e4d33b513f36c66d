//go:build js && wasm

// Command tether-wasm is the browser bundle (tether.wasm) behind the
// JavaScript API in wasm/js/tether.js: it puts the bridge object on
// globalThis.__tetherBridge and keeps the Go runtime alive for the page.
// Build it with `make wasm`.
package main

import "github.com/tether-sdk/tether/wasm"

func main() {
	wasm.RegisterBridge("__tetherBridge")
	select {}
}
