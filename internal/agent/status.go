package agent

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// Plugin states, as reported in busv1.PluginStatus.State.
const (
	StateRunning  = "running"
	StateIdle     = "idle"
	StateSkipped  = "skipped"
	StateDisabled = "disabled"
	StateFailed   = "failed"
	// StateStandby: a sensor that could run but another one provides the
	// same events (plugin.Alternative).
	StateStandby = "standby"
)

// pluginStatus is the live status of one plugin. Counters of the hot path
// are atomic; the rest is guarded by the board's lock.
type pluginStatus struct {
	kind, name, mechanism, provides string

	state, reason, lastErr string
	lastRun                int64
	runs, failures         uint64

	events, dropped, filtered atomic.Uint64

	// counters reads the plugin's own counters (plugin.Counted), or is nil.
	counters func() map[string]uint64
}

// readCounters returns the plugin's own counters without the zero ones,
// or nil; a plugin that panics in Counters reports none.
func (p *pluginStatus) readCounters() (out map[string]uint64) {
	if p.counters == nil {
		return nil
	}
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	for k, v := range p.counters() {
		if v == 0 {
			continue
		}
		if out == nil {
			out = make(map[string]uint64)
		}
		out[k] = v
	}
	return out
}

// statusBoard holds every plugin's status and notes changes of state, so
// that heartbeats carry statuses when they changed.
type statusBoard struct {
	mu      sync.Mutex
	all     []*pluginStatus
	changed bool
}

// add registers a plugin.
func (b *statusBoard) add(kind, name, mechanism, provides string, counted plugin.Counted) *pluginStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := &pluginStatus{kind: kind, name: name, mechanism: mechanism, provides: provides, state: StateIdle}
	if counted != nil {
		p.counters = counted.Counters
	}
	b.all = append(b.all, p)
	b.changed = true
	return p
}

// set changes a plugin's state and reason.
func (b *statusBoard) set(p *pluginStatus, state, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p.state != state || p.reason != reason {
		p.state, p.reason = state, reason
		b.changed = true
	}
}

// finished records the end of a collector run or of a sensor's Run.
func (b *statusBoard) finished(p *pluginStatus, err error, after string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p.runs++
	p.lastRun = time.Now().Unix()
	state, reason, lastErr := after, "", p.lastErr
	if err != nil {
		p.failures++
		state, reason, lastErr = StateFailed, err.Error(), err.Error()
	}
	if p.state != state || p.reason != reason || p.lastErr != lastErr {
		b.changed = true
	}
	p.state, p.reason, p.lastErr = state, reason, lastErr
}

// setMechanism records how a sensor observes the host, which it may
// decide only when configured or given new settings.
func (b *statusBoard) setMechanism(p *pluginStatus, mechanism string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p.mechanism != mechanism {
		p.mechanism = mechanism
		b.changed = true
	}
}

// noteError records an error that did not stop the plugin (settings it
// refused), or clears it with "".
func (b *statusBoard) noteError(p *pluginStatus, msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p.lastErr != msg {
		p.lastErr = msg
		b.changed = true
	}
}

// takeChanged reports whether any state changed since the last call.
func (b *statusBoard) takeChanged() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.changed
	b.changed = false
	return c
}

// markChanged makes the next heartbeat carry the statuses again.
func (b *statusBoard) markChanged() {
	b.mu.Lock()
	b.changed = true
	b.mu.Unlock()
}

// snapshot returns every status, collectors first, by name.
func (b *statusBoard) snapshot() []*busv1.PluginStatus {
	b.mu.Lock()
	out := make([]*busv1.PluginStatus, 0, len(b.all))
	for _, p := range b.all {
		out = append(out, &busv1.PluginStatus{
			Name: p.name, Kind: p.kind, State: p.state, Reason: p.reason,
			LastRunUnix: p.lastRun, LastError: p.lastErr, Runs: p.runs, Failures: p.failures,
			Events: p.events.Load(), Dropped: p.dropped.Load(), Mechanism: p.mechanism,
			Filtered: p.filtered.Load(), Provides: p.provides, Counters: p.readCounters(),
		})
	}
	b.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Name < out[j].Name
	})
	return out
}
