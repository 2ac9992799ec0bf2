//go:build unix

// Package uninstall removes an agent from a host: it stops the running
// agent, tells the center that the agent is being uninstalled and by whom
// (a Goodbye the center must acknowledge), and removes the data directory.
// Without the center's acknowledgement nothing is removed, unless forced:
// an agent must not vanish without a trace.
package uninstall

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/pidfile"
	"github.com/vigilsec/vigil/internal/agent/stopsource"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/client"
	"github.com/vigilsec/vigil/internal/bus/enroll"
)

// Defaults of Options.
const (
	DefaultStopTimeout  = 10 * time.Second
	DefaultReplyTimeout = 15 * time.Second
	DefaultUnit         = "vigil-agent.service"
)

// Options configure Run. DataDir is required.
type Options struct {
	// DataDir is the agent's data directory.
	DataDir string
	// Force removes the data directory even when the center cannot be
	// told, or the data directory holds no identity, and kills an agent
	// that does not stop in time.
	Force bool
	// Logger receives progress (default: slog.Default()).
	Logger *slog.Logger
	// StopTimeout bounds the wait for the running agent to stop.
	StopTimeout time.Duration
	// ReplyTimeout bounds the wait for the center's acknowledgement.
	ReplyTimeout time.Duration
	// Unit is the systemd unit that runs the agent.
	Unit string
	// BusOptions are extra options for the bus connection.
	BusOptions []nats.Option
}

// Run uninstalls the agent whose data directory is opts.DataDir.
func Run(ctx context.Context, opts Options) error {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = DefaultStopTimeout
	}
	if opts.ReplyTimeout <= 0 {
		opts.ReplyTimeout = DefaultReplyTimeout
	}
	if opts.Unit == "" {
		opts.Unit = DefaultUnit
	}
	log := opts.Logger
	dir, err := checkDataDir(opts.DataDir)
	if err != nil {
		return err
	}
	id, idErr := enroll.Load(dir)
	if idErr != nil && !opts.Force {
		return fmt.Errorf("uninstall: %w; nothing can tell the center: use --force to remove the agent anyway", idErr)
	}
	if err := stopAgent(ctx, dir, opts); err != nil {
		return err
	}
	if idErr != nil {
		log.Warn("no identity: the center is not told of this uninstall", "err", idErr)
	} else if err := tellCenter(ctx, id, opts); err != nil {
		if !opts.Force {
			return fmt.Errorf("uninstall: the center was not told, so the agent stays installed (use --force to remove it anyway): %w", err)
		}
		log.Warn("the center was not told of this uninstall; removing anyway (--force)", "err", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("uninstall: remove %s: %w", dir, err)
	}
	log.Info("agent uninstalled", "agent", id.AgentID, "data", dir)
	return nil
}

// checkDataDir makes sure dir is an agent's data directory before anything
// in it is removed.
func checkDataDir(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("uninstall: a data directory is required")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("uninstall: %w", err)
	}
	if abs == filepath.Dir(abs) {
		return "", fmt.Errorf("uninstall: refusing to remove %s", abs)
	}
	for _, name := range []string{enroll.IdentityFile, pidfile.Name, "spool", "state"} {
		if _, err := os.Stat(filepath.Join(abs, name)); err == nil {
			return abs, nil
		}
	}
	return "", fmt.Errorf("uninstall: %s is not an agent data directory (no %s, spool or state)", abs, enroll.IdentityFile)
}

// tellCenter sends the Goodbye and waits for the center's answer.
func tellCenter(ctx context.Context, id bus.Identity, opts Options) error {
	src, detail := stopsource.ForUninstall()
	gb := &busv1.Goodbye{
		AgentId: id.AgentID, Reason: busv1.Goodbye_REASON_UNINSTALLED,
		AtUnixNano: time.Now().UnixNano(), Source: src, Detail: detail,
	}
	data, err := proto.Marshal(gb)
	if err != nil {
		return fmt.Errorf("goodbye: %w", err)
	}
	nc, err := client.Connect(ctx, id, client.Options{Logger: opts.Logger, Extra: opts.BusOptions})
	if err != nil {
		return err
	}
	defer nc.Close()
	rctx, cancel := context.WithTimeout(ctx, opts.ReplyTimeout)
	defer cancel()
	reply, err := nc.RequestWithContext(rctx, bus.GoodbyeSubject(id.AgentID), data)
	if err == nil {
		err = bus.ReplyError(reply)
	}
	if err != nil {
		return fmt.Errorf("goodbye to %s: %w", id.CenterURL, err)
	}
	opts.Logger.Info("the center acknowledged the uninstall", "agent", id.AgentID, "user", src.GetUser(), "command", src.GetCommand())
	return nil
}
