// Package bench holds Tether's side-by-side benchmarks (issues 7, 14, 15, 16). It is a
// module of its own, so that the libraries Tether is compared with
// (coder/websocket, and Socket.IO on node in bench/node) stay out of the
// SDK's go.mod; its go.mod replaces the SDK with the working tree (../).
//
// The harness, `make bench` at the repository root, builds cmd/benchserver
// (the remote side, in its own process) and cmd/benchrun (the clients and
// the orchestrator), starts the real components some rows run through
// (internal/comp: nginx, squid, tinyproxy, redis-server), runs every row and
// writes BENCHMARKS.md.
//
// The testing.B benchmarks in this package cover the hot paths, one message
// of 1 KiB per operation, with the other side in a separate process so that
// -benchmem counts only the side under test:
//
//	cd bench && go test -run '^$' -bench . -benchmem
//
//	BenchmarkClientSend/LIB         client Send path (Tether session, raw mode, gorilla, coder)
//	BenchmarkClientReceive/LIB      client Receive path
//	BenchmarkClientReceive/tether-sse, tether-longpoll   the fallbacks
//	BenchmarkServerSend             server Session.Send path (peer: a Tether client process)
//	BenchmarkServerReceive          server Session.Receive path
//	BenchmarkEchoPingPong/LIB       one round trip (ns/op is the round trip time)
package bench
