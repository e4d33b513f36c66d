// Package wasm is Tether's browser build: it runs the client's session logic
// (package client: sequence numbers, acks, replay, reconnect, fallback and
// the probe back to WebSocket) over the browser's own WebSocket and fetch,
// through syscall/js, and never over Go's net/http.
//
// It provides three links behind client.Options.LinkDialer:
//
//   - WebSocket over the browser's WebSocket (binaryType "arraybuffer"; the
//     server's close codes and reasons are passed through). A browser
//     WebSocket cannot carry headers: Options.Header reaches only the fetch
//     transports; use cookies or a token in the URL for the upgrade.
//   - SSE over fetch with a streamed body (a ReadableStream reader), so the
//     session key travels in a header and a buffering proxy is detected by
//     the missing first event, as on native.
//   - Long-polling over fetch, each request cancelled with an
//     AbortController.
//
// Dial is client.Dial with these links and the page's origin as the URL
// rules' origin, so a ws:// URL on an https page is refused before any
// request (mixed content). Package wasm builds only for GOOS=js GOARCH=wasm;
// wasm/cmd/tether-wasm is the bundle behind the JavaScript API in wasm/js.
package wasm
