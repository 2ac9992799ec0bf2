package agent

import (
	"context"
	"time"

	"golang.org/x/time/rate"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/budget"
)

// minInterval is the shortest collector interval the agent accepts,
// whatever the policy says.
const minInterval = time.Second

// effectivePolicy is the policy in force, with every default filled in.
type effectivePolicy struct {
	revision   uint64
	name       string
	heartbeat  time.Duration
	spoolBytes int64
	rate       uint32
	limits     budget.Limits
	collectors map[string]*busv1.PluginPolicy
	sensors    map[string]*busv1.PluginPolicy
}

// resolve fills the defaults of p (nil: the agent's default policy).
func (a *Agent) resolve(p *busv1.AgentPolicy) *effectivePolicy {
	if p == nil {
		p = a.cfg.DefaultPolicy
	}
	e := &effectivePolicy{
		revision:   p.GetRevision(),
		name:       p.GetName(),
		heartbeat:  time.Duration(p.GetHeartbeatIntervalSeconds()) * time.Second,
		spoolBytes: int64(p.GetSpoolMaxMb()) << 20,
		rate:       p.GetMaxEventsPerSecond(),
		limits:     budget.Limits{CPUPercent: p.GetBudget().GetCpuPercent(), MemoryMB: p.GetBudget().GetMemoryMb()},
		collectors: p.GetCollectors(),
		sensors:    p.GetSensors(),
	}
	if e.name == "" {
		e.name = "default"
	}
	if e.heartbeat <= 0 {
		e.heartbeat = a.cfg.HeartbeatInterval
	}
	if e.spoolBytes <= 0 {
		e.spoolBytes = DefaultSpoolMB << 20
	}
	return e
}

// defaultPolicy is the policy before the center's arrives.
func (a *Agent) defaultPolicy() *effectivePolicy { return a.resolve(nil) }

// enabled reports whether a plugin runs under the policy, and its
// interval for a collector (0: its default). A plugin the policy does not
// name runs.
func enabled(m map[string]*busv1.PluginPolicy, name string) (bool, time.Duration) {
	pp, ok := m[name]
	if !ok || pp == nil {
		return true, 0
	}
	iv := time.Duration(pp.GetIntervalSeconds()) * time.Second
	if iv > 0 {
		iv = max(iv, minInterval)
	}
	return pp.GetEnabled(), iv
}

// applyPolicy puts a policy in force without a restart; nil restores the
// default policy. Plugins run under ctx.
func (a *Agent) applyPolicy(ctx context.Context, p *busv1.AgentPolicy) {
	e := a.resolve(p)
	prev := a.policy.Swap(e)
	if prev == nil || prev.heartbeat != e.heartbeat {
		notify(a.hbChanged)
	}
	if err := a.spool.SetMaxBytes(e.spoolBytes); err != nil {
		a.log.Warn("spool size not changed", "err", err)
	}
	if e.rate == 0 {
		a.limiter.SetLimit(rate.Inf)
	} else {
		a.limiter.SetLimit(rate.Limit(e.rate))
		a.limiter.SetBurst(int(e.rate))
	}
	a.gov.Set(e.limits)
	a.reconcile(ctx, e)
	a.status.markChanged()
	a.log.Info("policy applied", "policy", e.name, "revision", e.revision, "heartbeat", e.heartbeat,
		"spool_bytes", e.spoolBytes, "max_events_per_second", e.rate, "cpu_percent", a.gov.Limits().CPUPercent)
}
