// Package apicheck holds the test that keeps the module's exported API
// usable from outside it (STYLE.md point 15): no exported identifier of a
// non-internal package may show an internal package's type or a third-party
// type (gorilla/websocket, ...) in its signature, field or definition. It
// parses every file, whatever its build tags, so the browser (js) files are
// checked with the native ones.
package apicheck
