// Package wasm is Tether's JavaScript bridge: the `Tether` class of
// tether.js (wasm/js) over package client, built for GOOS=js GOARCH=wasm
// into wasm/cmd/tether-wasm.
//
// The browser links are not here: each lives with its native twin, split by
// file suffix (as net/http's roundtrip_js.go), and client.Dial uses them on
// js/wasm with no option to set:
//
//   - WebSocket (package transport, wslink_js.go) over the browser's
//     WebSocket (binaryType "arraybuffer"; the server's close codes and
//     reasons are passed through). A browser WebSocket cannot carry headers:
//     Options.Header reaches only the fetch transports; use cookies or a
//     token in the URL for the upgrade.
//   - SSE (package fallback, sse_js.go) over fetch with a streamed body, so
//     the session key travels in a header and a buffering proxy is detected
//     by the missing first event, as on native.
//   - Long-polling (package fallback, poll_js.go) over fetch, each request
//     cancelled with an AbortController.
//
// In the browser, transport.New takes the page's origin as the URL rules'
// origin, so a relative URL works and a ws:// URL on an https page is
// refused before any request (mixed content). Neither this package nor the
// client imports net/http, net, crypto/tls or crypto/x509 on js/wasm (make
// wasm-deps checks it).
package wasm
