package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/budget"
	"github.com/vigilsec/vigil/internal/agent/pidfile"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sender"
	"github.com/vigilsec/vigil/internal/agent/spool"
	"github.com/vigilsec/vigil/internal/agent/stopsource/sigtrace"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/client"
)

// Run runs the agent until ctx is done, then stops it in order (see the
// package documentation) and returns nil. It returns an error when the
// agent cannot start (no identity and no way to enroll, another agent on
// the data directory, an unusable spool) or when the center refuses its
// credentials.
func (a *Agent) Run(ctx context.Context) error {
	if a.ran.Swap(true) {
		return errors.New("agent: Run may be called once")
	}
	a.started = time.Now()
	if a.cfg.MaxProcs > 0 {
		budget.CapProcs(a.cfg.MaxProcs)
	}
	dir := a.cfg.DataDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("agent: data directory: %w", err)
	}
	pid, err := pidfile.Acquire(filepath.Join(dir, PIDFile))
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	defer func() {
		if err := pid.Release(); err != nil {
			a.log.Warn("pid file not removed", "err", err)
		}
	}()
	a.sigTracer, a.sigTracerErr = sigtrace.Start(os.Getpid())
	if a.sigTracerErr != nil {
		a.log.Info("the sender of a stop signal will be unknown", "reason", a.sigTracerErr)
	} else {
		defer func() {
			if err := a.sigTracer.Close(); err != nil {
				a.log.Warn("signal tracer not closed", "err", err)
			}
		}()
	}
	a.env = plugin.Env{Root: a.cfg.HostRoot, DataDir: dir, AgentVersion: a.cfg.Version, Logger: a.log}
	a.caps = plugin.Detect(a.cfg.HostRoot)
	facts := a.readFacts(ctx)
	a.hostFacts.Store(facts)
	id, err := a.identity(ctx, facts)
	if err != nil {
		return err
	}
	a.agentID = id.AgentID
	a.env.AgentID = id.AgentID
	a.log = a.log.With("agent", id.AgentID)
	a.env.Logger = a.log

	pol := a.defaultPolicy()
	a.policy.Store(pol)
	a.spool, err = spool.Open(filepath.Join(dir, SpoolDir), spool.Options{MaxBytes: pol.spoolBytes, Logger: a.log})
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	defer func() {
		if err := a.spool.Close(); err != nil {
			a.log.Warn("spool not closed cleanly", "err", err)
		}
	}()
	hostID := facts.GetMachineId()
	if hostID == "" {
		hostID = a.agentID
	}
	a.env.HostID = hostID
	a.pipe = &pipeline{spool: a.spool, agentID: a.agentID, hostID: hostID, version: a.cfg.Version}

	a.nc, err = client.Connect(ctx, id, client.Options{
		Logger:      a.cfg.Logger, // it names the agent itself
		OnReconnect: a.onConnect,
		OnClosed:    a.onClosed,
		Extra:       a.cfg.BusOptions,
	})
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	defer a.nc.Close()
	a.sender, err = sender.New(sender.Options{
		Spool: a.spool, Conn: a.nc, AgentID: a.agentID,
		StateDir: filepath.Join(dir, StateDir), Logger: a.log,
	})
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	a.gov = budget.New(pol.limits, budget.Options{})
	a.preparePlugins()
	return a.serve(ctx)
}

// serve runs the agent's loops until ctx is done or a fatal error, then
// stops everything in order.
func (a *Agent) serve(ctx context.Context) error {
	// The loops get contexts of their own, ended in order on the way out.
	base := context.WithoutCancel(ctx)
	loops, stopLoops := context.WithCancel(base)
	sending, stopSending := context.WithCancel(base)
	plugins, stopPlugins := context.WithCancel(base)
	defer stopLoops()
	defer stopSending()
	defer stopPlugins()

	var wg sync.WaitGroup
	goLoop := func(name string, fn func(context.Context) error, ctx context.Context) {
		wg.Go(func() { a.keepRunning(ctx, name, fn) })
	}
	goLoop("budget", func(ctx context.Context) error { a.gov.Run(ctx); return nil }, loops)
	goLoop("heartbeat", func(ctx context.Context) error { a.heartbeats(ctx); return nil }, loops)
	goLoop("facts", func(ctx context.Context) error { a.refreshFacts(ctx); return nil }, loops)
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		a.keepRunning(sending, "sender", a.sender.Run)
	}()
	sub, err := a.nc.Subscribe(bus.CommandSubject(a.agentID), func(m *nats.Msg) { a.onCommand(plugins, m) })
	if err != nil {
		stopPlugins()
		stopSending()
		stopLoops()
		wg.Wait()
		<-senderDone
		return fmt.Errorf("agent: subscribe to commands: %w", err)
	}
	// The defaults first, then whatever the center says.
	a.applyPolicy(plugins, nil)
	goLoop("policy", func(ctx context.Context) error {
		return client.WatchPolicy(ctx, a.nc, a.agentID, func(p *busv1.AgentPolicy) { a.applyPolicy(plugins, p) })
	}, loops)
	a.log.Info("agent running", "version", a.cfg.Version, "features", a.caps.List())

	var result error
	select {
	case <-ctx.Done():
	case result = <-a.fatal:
		a.log.Error("agent stops", "err", result)
	}

	// Stop order: no new work, tell the center, send what can be sent,
	// then close.
	_ = sub.Unsubscribe()
	a.stopAllPlugins()
	stopPlugins()
	a.cmdMu.Lock()
	a.cmdStopped = true
	a.cmdMu.Unlock()
	a.cmdWG.Wait()
	if result == nil {
		a.goodbye(context.Cause(ctx))
	}
	drain := time.AfterFunc(drainWait, stopSending)
	a.sender.Drain()
	<-senderDone
	drain.Stop()
	stopLoops()
	wg.Wait()
	a.closing.Store(true)
	if a.nc.IsConnected() {
		_ = a.nc.FlushTimeout(time.Second)
	}
	a.nc.Close()
	a.log.Info("agent stopped", "cause", context.Cause(ctx))
	return result
}

// keepRunning runs fn until it returns nil or ctx is done, starting it
// again after a pause when it fails or panics.
func (a *Agent) keepRunning(ctx context.Context, name string, fn func(context.Context) error) {
	for pause := restartMin; ; pause = min(2*pause, restartMax) {
		err := a.safely(name, func() error { return fn(ctx) })
		if err == nil || ctx.Err() != nil {
			return
		}
		a.log.Error("agent loop failed; starting it again", "loop", name, "err", err, "pause", pause)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
}
