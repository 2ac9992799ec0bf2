package agent

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// runner is what collectors and sensors have in common in the supervisor.
type runner struct {
	st *pluginStatus
	// skip is why the plugin cannot run on this host at all.
	skip string

	cancel context.CancelFunc // stops the running loop; nil when stopped
	done   chan struct{}      // closed when the loop returned
}

// running reports whether the plugin's loop is started.
func (r *runner) running() bool { return r.cancel != nil }

// stop ends the plugin's loop and waits for it, at most stopWait; it
// reports false when the loop did not return in time.
func (r *runner) stop() bool {
	if r.cancel == nil {
		return true
	}
	r.cancel()
	r.cancel = nil
	select {
	case <-r.done:
		return true
	case <-time.After(stopWait):
		return false
	}
}

// preparePlugins checks every plugin against the host and configures the
// ones that can run.
func (a *Agent) preparePlugins() {
	prepare := func(p plugin.Plugin, st *pluginStatus) string {
		if err := p.Requirements().Check(a.caps); err != nil {
			a.status.set(st, StateSkipped, err.Error())
			a.log.Info("plugin skipped", "plugin", p.Name(), "kind", st.kind, "reason", err)
			return err.Error()
		}
		if c, ok := p.(plugin.Configurer); ok {
			if err := a.safely(p.Name(), func() error { return c.Configure(a.env) }); err != nil {
				reason := fmt.Sprintf("configuration failed: %v", err)
				a.status.set(st, StateFailed, reason)
				a.log.Error("plugin not configured", "plugin", p.Name(), "err", err)
				return reason
			}
		}
		return ""
	}
	for _, c := range a.cfg.Collectors {
		r := &collectorRunner{c: c}
		r.st = a.status.add(plugin.KindCollector, c.Name(), "")
		r.skip = prepare(c, r.st)
		a.collectors = append(a.collectors, r)
	}
	for _, s := range a.cfg.Sensors {
		r := &sensorRunner{s: s}
		r.st = a.status.add(plugin.KindSensor, s.Name(), s.Mechanism())
		r.skip = prepare(s, r.st)
		a.sensors = append(a.sensors, r)
	}
}

// reconcile starts and stops plugins so that they match the policy.
func (a *Agent) reconcile(ctx context.Context, e *effectivePolicy) {
	a.supMu.Lock()
	defer a.supMu.Unlock()
	if a.stopping {
		return
	}
	disabled := fmt.Sprintf("disabled by policy %s (revision %d)", e.name, e.revision)
	for _, r := range a.collectors {
		if r.skip != "" {
			continue
		}
		on, iv := enabled(e.collectors, r.c.Name())
		if iv == 0 {
			iv = r.c.DefaultInterval()
		}
		switch {
		case on && r.running() && r.interval == iv:
		case on:
			r.stop()
			r.interval = iv
			a.startCollector(ctx, r)
		default:
			r.stop()
			a.status.set(r.st, StateDisabled, disabled)
		}
	}
	for _, r := range a.sensors {
		if r.skip != "" {
			continue
		}
		on, _ := enabled(e.sensors, r.s.Name())
		switch {
		case on && r.running():
		case on:
			a.startSensor(ctx, r)
		default:
			if !r.stop() {
				a.log.Error("sensor did not stop in time", "plugin", r.s.Name(), "wait", stopWait)
			}
			a.status.set(r.st, StateDisabled, disabled)
		}
	}
}

// stopAllPlugins stops every plugin for good.
func (a *Agent) stopAllPlugins() {
	a.supMu.Lock()
	defer a.supMu.Unlock()
	a.stopping = true
	var wg sync.WaitGroup
	for _, r := range a.collectors {
		wg.Go(func() { r.stop() })
	}
	for _, r := range a.sensors {
		wg.Go(func() {
			if !r.stop() {
				a.log.Error("sensor did not stop in time", "plugin", r.s.Name(), "wait", stopWait)
			}
		})
	}
	wg.Wait()
}
