// Command benchrun is Tether's benchmark harness (make bench).
//
//	benchrun run [flags]
//
// starts the benchmark servers (bench/cmd/benchserver, the Socket.IO server
// in bench/node) pinned with taskset, runs every row as a client
// process of its own, prints a table and writes BENCHMARKS.md; rows 3 and 7
// also start nginx, squid, tinyproxy and redis-server (internal/comp). The
// other subcommands are those client processes; each prints one JSON line:
//
//	benchrun echo    -base URL -certs DIR -lib L [-transport T] -mode pipelined|pingpong
//	benchrun push    -base URL -certs DIR -lib L [-transport T] [-size N]
//	benchrun echo    ... -redis ADDR   (also Redis commands per message)
//	benchrun connect -base URL -certs DIR [-url URL] [-proxy URL] [-transports T] [-best T] [-runs N]
//	benchrun connect ... -burl URL [-bproxy URL] [-btransports T] [-bbest T]   (pairs, alternating)
//	benchrun floor -base URL -certs DIR [-runs N]   (the refused upgrade on raw TLS: row 3's floor)
//	benchrun mem     -base URL -certs DIR -lib tether|gorilla -n 5000 [-redis ADDR]
//	benchrun aes
package main

import (
	"log"
	"os"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("benchrun: ")
	if len(os.Args) < 2 {
		log.Fatal("usage: benchrun run|echo|push|connect|floor|mem|aes [flags]")
	}
	cmds := map[string]func([]string){
		"run": runAll, "echo": runEcho, "push": runPush, "connect": runConnect, "floor": runFloor, "mem": runMem, "aes": runAES,
	}
	f, ok := cmds[os.Args[1]]
	if !ok {
		log.Fatalf("unknown command %q", os.Args[1])
	}
	f(os.Args[2:])
}
