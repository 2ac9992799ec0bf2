package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/bench/agents/internal/fleet"
	"github.com/vigilsec/vigil/internal/apiclient"
)

// enroll creates a join token for exactly the fleet and enrolls it.
func (b *bench) enroll(ctx context.Context) error {
	id := make([]byte, 4)
	if _, err := rand.Read(id); err != nil {
		return fmt.Errorf("run id: %w", err)
	}
	b.run = time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(id)
	b.rep.Run = runLabel + "=" + b.run
	tok, err := b.api.CreateJoinToken(ctx, apiclient.JoinTokenRequest{
		TTL: 24 * time.Hour, Labels: map[string]string{runLabel: b.run}, UsageLimit: b.cfg.agents,
		Description: "agents benchmark " + b.run,
	})
	if err != nil {
		return fmt.Errorf("create join token: %w", err)
	}
	if b.fleet, err = fleet.New(b.cfg.agents, b.cfg.prefix, b.log); err != nil {
		return err
	}
	b.log.Info("enrolling", "agents", b.cfg.agents, "concurrency", b.cfg.enrollConc)
	cpu := b.meterPhase()
	res := b.fleet.Enroll(ctx, b.cfg.center, tok.Token, b.cfg.enrollConc)
	b.rep.Enroll = newPhase(b.cfg.agents, res)
	cpu.done(b.rep.Enroll)
	b.log.Info("enrolled", "ok", res.OK, "failed", res.Failed, "wall", res.Wall.Round(time.Millisecond))
	if err := b.api.DeleteJoinToken(ctx, tok.ID); err != nil {
		b.log.Warn("delete join token", "err", err)
	}
	if res.OK == 0 {
		return errors.New("no agent enrolled")
	}
	return ctx.Err()
}

// connect connects the enrolled agents, starts their heartbeats and waits
// until the center lists them all online.
func (b *bench) connect(ctx context.Context) error {
	target := b.rep.Enroll.OK
	start := time.Now()
	onlineCh := make(chan *online, 1)
	go func() { onlineCh <- b.waitOnline(ctx, target, start) }()
	b.log.Info("connecting", "agents", target, "concurrency", b.cfg.connectConc)
	cpu := b.meterPhase()
	res := b.fleet.Connect(ctx, b.cfg.connectConc, b.cfg.heartbeat)
	b.rep.Connect = newPhase(target, res)
	cpu.done(b.rep.Connect)
	b.log.Info("connect calls done", "ok", res.OK, "failed", res.Failed, "wall", res.Wall.Round(time.Millisecond))
	on := <-onlineCh
	if n, last := b.fleet.FirstConnects(); n > 0 {
		on.LastConnectS = last.Sub(start).Seconds()
	}
	b.rep.Online = on
	b.log.Info("online", "reached", on.Reached, "of", on.Target, "after_s", on.AllOnlineS)
	if !on.Complete {
		return fmt.Errorf("only %d of %d agents online after %s", on.Reached, on.Target, b.cfg.onlineTimeout)
	}
	return ctx.Err()
}

// waitOnline counts online agents of the run until there are target of
// them or the online timeout passes.
func (b *bench) waitOnline(ctx context.Context, target int, start time.Time) *online {
	on := &online{Target: target}
	deadline := start.Add(b.cfg.onlineTimeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		t0 := time.Now()
		n, err := b.api.countOnline(ctx, b.run, start)
		on.CountS = time.Since(t0).Seconds()
		on.Polls++
		if err != nil {
			b.log.Warn("count online agents", "err", err)
		} else {
			on.Reached = max(on.Reached, n)
			if n >= target {
				on.Complete, on.AllOnlineS = true, time.Since(start).Seconds()
				return on
			}
		}
		// Counting walks every page: at least as long a pause between
		// counts keeps the polling from loading the center more than the
		// agents do.
		took := time.Since(t0)
		sleep(ctx, max(500*time.Millisecond, took)-took)
	}
	return on
}

// up counts the agents connected now.
func (b *bench) up() int {
	n := 0
	for _, a := range b.fleet.Agents() {
		if a.Up() {
			n++
		}
	}
	return n
}
