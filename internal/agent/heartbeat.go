package agent

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/budget"
	"github.com/vigilsec/vigil/internal/bus"
)

// pluginsEvery is how often heartbeats carry the plugin statuses even
// when none changed.
const pluginsEvery = 10

// heartbeats is the priority lane: it publishes a heartbeat every
// interval, and at once after each (re)connect, from its own goroutine and
// with a plain publish, whatever the event sender is doing.
func (a *Agent) heartbeats(ctx context.Context) {
	a.lastCPU, _ = budget.ProcessCPUTime()
	a.lastCPUAt = time.Now()
	t := time.NewTimer(a.policy.Load().heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.connected:
		case <-a.hbChanged:
		case <-t.C:
		}
		a.beat()
		t.Reset(a.policy.Load().heartbeat)
	}
}

// beat publishes one heartbeat when the link is up.
func (a *Agent) beat() {
	if !a.nc.IsConnected() {
		// Buffering heartbeats for later would only tell stale news.
		return
	}
	a.hbSeq++
	pol := a.policy.Load()
	hb := &busv1.Heartbeat{
		AgentId:        a.agentID,
		SentAtUnixNano: time.Now().UnixNano(),
		Seq:            a.hbSeq,
		StartedAtUnix:  a.started.Unix(),
		Stats:          a.stats(a.cpuSinceLastBeat()),
		PolicyRevision: pol.revision,
		AgentVersion:   a.cfg.Version,
	}
	withFacts := a.needFacts.Swap(false)
	if withFacts {
		hb.Facts = a.hostFacts.Load()
	}
	for _, r := range a.sensors {
		// A sensor may change how it observes while it runs (fim falls
		// back to filesystem marks when inode marks do not fit).
		if r.skip == "" {
			a.status.setMechanism(r.st, r.s.Mechanism())
		}
	}
	withPlugins := a.status.takeChanged() || a.hbSeq%pluginsEvery == 1
	if withPlugins {
		hb.Plugins = a.status.snapshot()
	}
	data, err := proto.Marshal(hb)
	if err == nil {
		err = a.nc.Publish(bus.HeartbeatSubject(a.agentID), data)
	}
	if err != nil {
		a.log.Warn("heartbeat not sent", "seq", a.hbSeq, "err", err)
		if withFacts {
			a.needFacts.Store(true)
		}
		if withPlugins {
			a.status.markChanged()
		}
	}
}

// cpuSinceLastBeat is the CPU use, in percent of one core, since the
// previous heartbeat; it belongs to the heartbeat goroutine.
func (a *Agent) cpuSinceLastBeat() float64 {
	now := time.Now()
	cpu, err := budget.ProcessCPUTime()
	wall := now.Sub(a.lastCPUAt)
	if err != nil || wall <= 0 {
		return 0
	}
	pct := 100 * (cpu - a.lastCPU).Seconds() / wall.Seconds()
	a.lastCPU, a.lastCPUAt = cpu, now
	return pct
}

// stats returns the agent's counters with the given CPU use.
func (a *Agent) stats(cpuPercent float64) *busv1.AgentStats {
	rss, _ := budget.RSS()
	sp := a.spool.Stats()
	ss := a.sender.Stats()
	return &busv1.AgentStats{
		CpuPercent:        cpuPercent,
		RssBytes:          rss,
		SpoolBytes:        uint64(max(sp.Bytes, 0)),
		SpoolEvents:       uint64(max(sp.Records, 0)),
		SpoolDroppedTotal: sp.DroppedTotal,
		EventsSentTotal:   ss.EventsSent,
		BatchesSentTotal:  ss.BatchesSent,
		Throttled:         a.gov.Throttled(),
		ReconnectsTotal:   a.reconnects.Load(),
	}
}

// factsEqual reports whether two sets of facts are the same.
func factsEqual(x, y *busv1.HostFacts) bool { return proto.Equal(x, y) }
