// Command detect measures Vigil's detection end to end on this machine:
// the center's bus server (embedded NATS with JetStream and the events
// stream), a SQLite store and the detection service with the shipped
// rules and generated ones (10, 100 and 1,000 in all), fed by simulated
// agents in a child process that publish event batches as agents do. It
// prints the events per second the service evaluates and its CPU seconds
// per million events beside the rule engine alone, the time from an
// alert event's publication to its new alert at a steady rate, and the
// peak memory of each phase. Nothing is asserted about time.
//
//	go run ./bench/detect
//	go run ./bench/detect -rules 100,1000 -rate 40000 -duration 60s -o json
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/vigilsec/vigil/bench/detect/internal/fleet"
	"github.com/vigilsec/vigil/bench/detect/internal/runner"
)

func main() {
	fleet.RunIfFleet()
	cfg, err := runner.ParseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "detect:", err)
		os.Exit(2)
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "detect:", err)
		os.Exit(1)
	}
	cfg.Fleet = []string{self}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := runner.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "detect:", err)
		os.Exit(1)
	}
	if err := rep.Print(os.Stdout, cfg.Output); err != nil {
		fmt.Fprintln(os.Stderr, "detect:", err)
		os.Exit(1)
	}
	if !rep.Complete() {
		fmt.Fprintln(os.Stderr, "detect: some alert events raised no alert")
		os.Exit(1)
	}
}
