package tracker

import (
	"context"
	"sync"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// Runner runs a sensor's trackers one after another (a new one for each
// Run of the sensor) and keeps their counters across them, so that a
// sensor's status does not start from zero when the runtime restarts it.
type Runner struct {
	mu   sync.Mutex
	base Stats // counters of the trackers that ended
	cur  *Tracker
}

// Run runs t until ctx ends.
func (r *Runner) Run(ctx context.Context, t *Tracker, emit plugin.Emitter) error {
	r.mu.Lock()
	r.cur = t
	r.mu.Unlock()
	err := t.Run(ctx, emit)
	r.mu.Lock()
	r.base = r.base.plus(t.Stats())
	r.cur = nil
	r.mu.Unlock()
	return err
}

// Stats returns the gauges of the running tracker (of the last one when
// none runs) and the counters of all of them.
func (r *Runner) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur == nil {
		return r.base
	}
	return r.base.plus(r.cur.Stats())
}

// plus returns s with the counters of o added and the gauges of o.
func (s Stats) plus(o Stats) Stats {
	o.ReadErrors += s.ReadErrors
	o.Overflows += s.Overflows
	o.Events += s.Events
	o.Passes += s.Passes
	o.StateErrors += s.StateErrors
	o.PassTime += s.PassTime
	return o
}

// Map returns the statistics by name, for a plugin's status details.
func (s Stats) Map() map[string]uint64 {
	return map[string]uint64{
		"sources":         uint64(s.Sources),
		"records":         uint64(s.Records),
		"watches":         uint64(s.Watches),
		"unwatched_dirs":  uint64(s.Unwatched),
		"malformed_lines": uint64(s.MalformedLines),
		"failing_sources": uint64(s.FailingSources),
		"read_errors":     s.ReadErrors,
		"overflows":       s.Overflows,
		"events":          s.Events,
		"passes":          s.Passes,
		"state_errors":    s.StateErrors,
		"pass_time_ms":    uint64(s.PassTime.Milliseconds()),
	}
}
