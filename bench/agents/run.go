package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/vigilsec/vigil/bench/agents/internal/fleet"
)

// bench is one run against one center.
type bench struct {
	cfg   config
	log   *slog.Logger
	api   *centerAPI
	pid   int
	rep   *report
	fleet *fleet.Fleet
	run   string
	local *localCenter // nil for a center not started here
}

// run measures the center at cfg.center (or one it starts) with
// cfg.agents simulated agents. The report holds what was measured even
// when an error stops the run part way.
func run(ctx context.Context, cfg config, log *slog.Logger) (rep *report, err error) {
	start := time.Now()
	rep = &report{Started: start.UTC(), Cores: runtime.NumCPU(), Agents: cfg.agents, HeartbeatS: cfg.heartbeat.Seconds()}
	defer func() {
		rep.WallS = time.Since(start).Seconds()
		if err != nil {
			rep.Errors = append(rep.Errors, err.Error())
		}
	}()
	rep.Files = checkFiles(cfg.agents, cfg.centerPID, cfg.startCenter)
	for _, n := range rep.Files.Notes {
		log.Warn("limits: " + n)
	}
	if !rep.Files.Fits && !cfg.force {
		return rep, fmt.Errorf("%d agents do not fit the open-file limits (see the notes; --force tries anyway)", cfg.agents)
	}
	b := &bench{cfg: cfg, log: log, rep: rep, pid: cfg.centerPID}
	defer b.teardown()
	if cfg.startCenter {
		lc, err := startCenter(ctx, cfg.centerBin, cfg.keepData)
		if err != nil {
			return rep, err
		}
		b.local = lc
		b.cfg.center, b.cfg.ca, b.cfg.token, b.pid = lc.url, lc.ca, lc.token, lc.pid()
		rep.CenterStarted = true
		log.Info("center started", "url", lc.url, "pid", b.pid, "data", lc.dir)
	}
	rep.Center, rep.CenterPID = b.cfg.center, b.pid
	if b.api, err = newCenterAPI(b.cfg.center, b.cfg.token, b.cfg.ca); err != nil {
		return rep, err
	}
	if b.pid == 0 {
		rep.Notes = append(rep.Notes, "the center's memory and CPU were not measured: give --center-pid (or use --start-center)")
	}
	return rep, b.phases(ctx)
}

// phases runs the measurements in order.
func (b *bench) phases(ctx context.Context) error {
	var err error
	if b.pid != 0 {
		b.log.Info("measuring the idle center", "window", b.cfg.window)
		if b.rep.Idle, err = b.measure(ctx, 0); err != nil {
			return err
		}
	}
	if err := b.enroll(ctx); err != nil {
		return err
	}
	if err := b.connect(ctx); err != nil {
		return err
	}
	if b.pid != 0 {
		b.log.Info("measuring the center under load", "window", b.cfg.window)
		if b.rep.Steady, err = b.measure(ctx, b.up()); err != nil {
			return err
		}
		b.rep.PerAgent = perAgentOf(b.rep.Idle, b.rep.Steady)
	}
	before, err := b.counters(ctx, 0)
	if err != nil {
		return err
	}
	if before.LostChanges > 0 {
		b.log.Warn("the center called agents lost before any was taken down", "count", before.LostChanges)
		b.rep.Notes = append(b.rep.Notes, fmt.Sprintf("the center called %.0f agents lost (and raised their alerts) before any was taken down; its log and GET /agents/{id}/history say why", before.LostChanges))
	}
	if b.cfg.kill > 0 {
		if b.rep.Detection, err = b.detect(ctx); err != nil {
			return err
		}
	}
	b.rep.Fleet = totals(b.fleet.Counters())
	if b.rep.Counters, err = b.counters(ctx, before.LostChanges); err != nil {
		return err
	}
	b.rep.Notes = append(b.rep.Notes,
		"simulated agents send heartbeats only: no events, no policy watch, no command subscription",
		"the fleet runs on the same machine as the center and competes for its cores (see fleet_process)")
	return nil
}

// teardown ends the run. A center started here is stopped first, with
// the agents still connected, so that it does not spend its last seconds
// recording them all lost; then the fleet is closed. On another center
// the fleet is closed and its agents are deleted (unless --cleanup=false).
func (b *bench) teardown() {
	if b.local != nil {
		b.log.Info("stopping the center")
		b.local.stop()
	}
	if b.fleet == nil {
		return
	}
	b.log.Info("disconnecting the fleet")
	b.fleet.Close()
	if b.local != nil || !b.cfg.cleanup {
		return
	}
	b.log.Info("deleting the simulated agents")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if failed := deleteAgents(ctx, b.api, b.fleet.Agents()); failed > 0 {
		b.rep.Errors = append(b.rep.Errors, fmt.Sprintf("%d simulated agents could not be deleted (label %s)", failed, b.rep.Run))
	}
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// oneLine shortens an error message for a report line.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
