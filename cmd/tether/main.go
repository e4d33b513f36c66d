// Command tether is Tether's command-line tool: a client that survives
// hostile networks (connect), the reference server (serve), a pin printer
// (pin) and a self-contained tour of what the SDK does (demo).
//
//	tether connect [flags] URL     stdin lines out, received messages on stdout
//	tether serve [flags]           the reference server (echo or chat)
//	tether pin FILE|HOST:PORT      one sha256/... pin per certificate, leaf first
//	tether conformance [flags] URL  checks a server against PROTOCOL.md
//	tether demo                    servers, proxies and a client in one process
//
// Exit codes: 0 done, 1 failure (one line on stderr starting "tether: " that
// names the cause), 2 bad usage (an unknown flag, a bad value, a URL or file
// that cannot be used). Run "tether help COMMAND" for a command's flags.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tether-sdk/tether/client"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// env is what a command reads and writes: the process's streams, made
// replaceable for tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

func commands() []command {
	return []command{
		{"connect", "connect to a Tether (or, with --raw, any WebSocket) server: stdin lines out, messages to stdout", runConnect},
		{"serve", "run the reference server (echo or chat) over WebSocket, SSE and long-polling", runServe},
		{"pin", "print the sha256/ pin of every certificate in a PEM file or presented by HOST:PORT", runPin},
		{"conformance", "check a Tether server against PROTOCOL.md over every transport it offers", runConformance},
		{"demo", "a tour in one process: server, hostile proxies, fallbacks, a restart, a pin refusal", runDemo},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches to a command and returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			for _, c := range commands() {
				if c.name == args[1] {
					return c.run(ctx, e, []string{"-h"})
				}
			}
			fmt.Fprintf(e.stderr, "tether: unknown command %q (commands: connect, serve, pin, conformance, demo)\n", args[1])
			return exitUsage
		}
		usage(e.stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "tether: unknown command %q (commands: connect, serve, pin, conformance, demo; see tether help)\n", name)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Tether's command-line tool: a client and a server that stay connected through hostile networks.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  tether connect [flags] URL     e.g. echo hi | tether connect --count 1 wss://host/live")
	fmt.Fprintln(w, "  tether serve [flags]           e.g. tether serve --self-signed ./certs")
	fmt.Fprintln(w, "  tether pin FILE|HOST:PORT      e.g. tether pin example.com:443")
	fmt.Fprintln(w, "  tether conformance [flags] URL e.g. tether conformance --cacert certs/ca.pem wss://127.0.0.1:8443/")
	fmt.Fprintln(w, "  tether demo                    see every fallback at work, in one process")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit codes: 0 done, 1 failure (one \"tether: ...\" line on stderr names the cause), 2 bad usage.")
	fmt.Fprintln(w, "Run \"tether help COMMAND\" or \"tether COMMAND -h\" for a command's flags.")
}

// closeClient closes c, waiting (a bounded time) for the server's answer
// and for the client's last event to be printed.
func closeClient(c *client.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.Close(ctx)
}
