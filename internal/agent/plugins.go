package agent

import (
	"context"
	"encoding/json"
	"errors"
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
	// unsupported: skip came from the plugin's own Configure (what it
	// observes was not found), which other settings may change.
	unsupported bool

	cancel context.CancelFunc // stops the running loop; nil when stopped
	done   chan struct{}      // closed when the loop returned
	// settingsTried is the last settings document handed to a Tunable
	// plugin (under supMu).
	settingsTried string
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
	prepare := func(p plugin.Plugin, st *pluginStatus, r *runner) string {
		if err := p.Requirements().Check(a.caps); err != nil {
			a.status.set(st, StateSkipped, err.Error())
			a.log.Info("plugin skipped", "plugin", p.Name(), "kind", st.kind, "reason", err)
			return err.Error()
		}
		if c, ok := p.(plugin.Configurer); ok {
			if err := a.safely(p.Name(), func() error { return c.Configure(a.env) }); err != nil {
				if errors.Is(err, plugin.ErrUnsupported) {
					r.unsupported = true
					a.status.set(st, StateSkipped, err.Error())
					a.log.Info("plugin skipped", "plugin", p.Name(), "kind", st.kind, "reason", err)
					return err.Error()
				}
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
		r.st = a.status.add(plugin.KindCollector, c.Name(), "", "", countedFunc(r.counters))
		r.skip = prepare(c, r.st, &r.runner)
		a.collectors = append(a.collectors, r)
	}
	for _, s := range a.cfg.Sensors {
		r := &sensorRunner{s: s}
		r.alt, _ = s.(plugin.Alternative)
		provides := ""
		if r.alt != nil {
			provides = r.alt.Provides()
		}
		counted, _ := s.(plugin.Counted)
		r.st = a.status.add(plugin.KindSensor, s.Name(), s.Mechanism(), provides, counted)
		r.skip = prepare(s, r.st, &r.runner)
		a.status.setMechanism(r.st, s.Mechanism()) // Configure may have decided it
		a.sensors = append(a.sensors, r)
	}
}

// countedFunc makes a function a plugin.Counted.
type countedFunc func() map[string]uint64

// Counters implements plugin.Counted.
func (f countedFunc) Counters() map[string]uint64 { return f() }

// probeTimeout bounds an Alternative's Probe.
const probeTimeout = 30 * time.Second

// probe checks that an alternative sensor's mechanism works here; the
// reason it does not, or "".
func (a *Agent) probe(r *sensorRunner) string {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	err := a.safely(r.s.Name(), func() error { return r.alt.Probe(ctx) })
	if err == nil {
		return ""
	}
	reason := fmt.Sprintf("%s does not work here: %v", r.s.Mechanism(), err)
	a.status.set(r.st, StateSkipped, reason)
	a.log.Info("sensor skipped", "plugin", r.s.Name(), "provides", r.alt.Provides(), "reason", reason)
	return reason
}

// applySettings hands a plugin the settings of its policy when they
// changed since the last attempt; the plugin is stopped. Refused settings
// leave the previous ones in force and show in the plugin's status.
func (a *Agent) applySettings(p plugin.Plugin, st *pluginStatus, tried *string, raw string) {
	t, ok := p.(plugin.Tunable)
	if !ok || raw == *tried {
		return
	}
	*tried = raw
	err := a.safely(p.Name(), func() error { return t.ApplySettings(json.RawMessage(raw)) })
	if s, ok := p.(plugin.Sensor); ok {
		a.status.setMechanism(st, s.Mechanism()) // settings may change it
	}
	if err != nil {
		a.status.noteError(st, "settings refused: "+err.Error())
		a.log.Error("plugin settings refused; the previous ones stay", "plugin", p.Name(), "err", err)
		return
	}
	a.status.noteError(st, "")
}

// reconfigure gives a plugin its own Configure skipped (what it observes
// was not found where it looked) another try when its policy brings other
// settings, which may tell it where to look: a container engine's socket
// elsewhere. Under supMu.
func (a *Agent) reconfigure(p plugin.Plugin, r *runner, raw string) {
	if !r.unsupported || !settingsChanged(p, r.settingsTried, raw) {
		return
	}
	a.applySettings(p, r.st, &r.settingsTried, raw)
	c, ok := p.(plugin.Configurer)
	if !ok {
		return
	}
	if err := a.safely(p.Name(), func() error { return c.Configure(a.env) }); err != nil {
		r.skip = err.Error()
		r.unsupported = errors.Is(err, plugin.ErrUnsupported)
		a.status.set(r.st, StateSkipped, r.skip)
		return
	}
	a.log.Info("plugin configured with its new settings", "plugin", p.Name())
	r.skip, r.unsupported = "", false
	a.status.set(r.st, StateIdle, "")
}

// settingsChanged reports whether a Tunable plugin has settings to apply.
func settingsChanged(p plugin.Plugin, tried, raw string) bool {
	_, ok := p.(plugin.Tunable)
	return ok && tried != raw
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
		a.reconfigure(r.c, &r.runner, e.collectors[r.c.Name()].GetSettingsJson())
		if r.skip != "" {
			continue
		}
		on, iv := enabled(e.collectors, r.c.Name())
		if iv == 0 {
			iv = r.c.DefaultInterval()
		}
		raw := e.collectors[r.c.Name()].GetSettingsJson()
		switch {
		case on && r.running() && r.interval == iv && !settingsChanged(r.c, r.settingsTried, raw):
		case on:
			r.stop()
			r.interval = iv
			a.applySettings(r.c, r.st, &r.settingsTried, raw)
			a.startCollector(ctx, r)
		default:
			r.stop()
			a.status.set(r.st, StateDisabled, disabled)
		}
	}
	// Of the alternatives for the same events, the first enabled one in
	// the list runs.
	chosen := map[string]string{}
	for _, r := range a.sensors {
		a.reconfigure(r.s, &r.runner, e.sensors[r.s.Name()].GetSettingsJson())
		if r.skip != "" {
			continue
		}
		pp := e.sensors[r.s.Name()]
		r.setLimits(pp)
		on, _ := enabled(e.sensors, r.s.Name())
		if on && r.alt != nil {
			if first, taken := chosen[r.alt.Provides()]; taken {
				if !r.stop() {
					a.log.Error("sensor did not stop in time", "plugin", r.s.Name(), "wait", stopWait)
				}
				a.status.set(r.st, StateStandby, fmt.Sprintf("%s events come from %s", r.alt.Provides(), first))
				continue
			}
			// Probed only when it is its turn: a fallback that is not
			// needed is never touched (the audit one would change the
			// host's audit settings to find out).
			if !r.probed {
				r.probed = true
				if reason := a.probe(r); reason != "" {
					r.skip = reason
					continue
				}
			}
			chosen[r.alt.Provides()] = r.s.Name()
		}
		raw := pp.GetSettingsJson()
		switch {
		case on && r.running() && !settingsChanged(r.s, r.settingsTried, raw):
		case on:
			if !r.stop() {
				a.log.Error("sensor did not stop in time", "plugin", r.s.Name(), "wait", stopWait)
			}
			a.applySettings(r.s, r.st, &r.settingsTried, raw)
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
