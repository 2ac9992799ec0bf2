// Command idle measures a real vigil-agent at rest: it starts
// bin/vigil-center on a temporary data dir and free loopback ports,
// enrolls bin/vigil-agent against it with every shipped plugin, waits for
// the agent to settle, then samples the agent's CPU time and memory over a
// window and prints them with the state of each plugin.
//
//	go run ./bench/idle --warmup 60s --measure 120s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "idle:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "idle:", err)
		os.Exit(1)
	}
}
