// Command vigil-agent is Vigil's host agent: it enrolls the host with the
// center on its first run, then collects, senses and reports until it is
// stopped. See internal/agent.
//
//	vigil-agent [run] --center URL --token JOIN --data DIR [--log-level LEVEL]
//	vigil-agent uninstall --data DIR [--force]
//	vigil-agent version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/vigilsec/vigil/internal/agent"
	"github.com/vigilsec/vigil/internal/agent/budget"
	collectlist "github.com/vigilsec/vigil/internal/agent/collect/list"
	senselist "github.com/vigilsec/vigil/internal/agent/sense/list"
	"github.com/vigilsec/vigil/internal/agent/uninstall"
	"github.com/vigilsec/vigil/internal/version"
)

// defaultDataDir is where the agent keeps its identity and spool.
const defaultDataDir = "/var/lib/vigil-agent"

const usage = `usage:
  vigil-agent [run] --center URL --token JOIN --data DIR [--log-level LEVEL]
  vigil-agent uninstall --data DIR [--force] [--log-level LEVEL]
  vigil-agent version
environment: VIGIL_CENTER, VIGIL_JOIN_TOKEN, VIGIL_DATA
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run runs one command and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("vigil-agent "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	data := fs.String("data", envOr("VIGIL_DATA", defaultDataDir), "data directory")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	var center, token *string
	var force *bool
	switch cmd {
	case "run":
		center = fs.String("center", os.Getenv("VIGIL_CENTER"), "center URL (https://host:port), for the first run")
		token = fs.String("token", os.Getenv("VIGIL_JOIN_TOKEN"), "join token, for the first run")
	case "uninstall":
		force = fs.Bool("force", false, "remove the agent even when the center cannot be told")
	case "version":
		fmt.Fprintln(stdout, version.Version)
		return 0
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "vigil-agent: unknown command %q\n%s", cmd, usage)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vigil-agent: unexpected arguments %q\n%s", fs.Args(), usage)
		return 2
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(stderr, "vigil-agent: --log-level: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv}))
	var err error
	if cmd == "run" {
		err = runAgent(log, *data, *center, *token)
	} else {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		err = uninstall.Run(ctx, uninstall.Options{DataDir: *data, Force: *force, Logger: log})
	}
	if err != nil {
		fmt.Fprintf(stderr, "vigil-agent: %v\n", err)
		if errors.Is(err, agent.ErrCredentialsRefused) {
			return exitRevoked
		}
		return 1
	}
	return 0
}

// exitRevoked is the exit status of an agent the center deleted or revoked;
// the systemd unit does not restart it (RestartPreventExitStatus).
const exitRevoked = 3

// runAgent runs the agent until SIGTERM or SIGINT.
func runAgent(log *slog.Logger, data, center, token string) error {
	ctx, stop := agent.NotifyStop(context.Background())
	defer stop()
	a, err := agent.New(agent.Config{
		DataDir: data, CenterURL: center, JoinToken: token, Logger: log,
		Collectors: collectlist.All(), Sensors: senselist.All(),
		Version: version.Version, MaxProcs: budget.DefaultMaxProcs,
	})
	if err != nil {
		return err
	}
	err = a.Run(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// envOr returns the environment variable, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}
