// Command agents measures a vigil-center under many simulated agents:
// each enrolls with a join token (its own NKEY user key and JWT),
// connects to the bus like vigil-agent and sends heartbeats. It prints
// the enrollment rate, the time until every agent is online, the center's
// memory and CPU use idle and under load (total and per agent), and how
// fast the center calls agents lost when their connection is killed or
// goes silent. See bench/README.md.
//
//	go run ./bench/agents --start-center --agents 1000
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "agents:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, cfg, log)
	if cfg.output == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(rep); jerr != nil {
			fmt.Fprintln(os.Stderr, "agents: write report:", jerr)
		}
	} else {
		writeText(os.Stdout, rep)
	}
	if err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "agents:", err)
		os.Exit(1)
	}
}
