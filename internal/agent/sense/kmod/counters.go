package kmod

import "sync/atomic"

// counters are the sensor's own counts: totals since it was created, and
// the size of its module table; the runtime reads them while the sensor
// runs.
type counters struct {
	// lostRecords: records the eBPF ring buffer had no room for.
	lostRecords atomic.Uint64
	// malformedRecords: eBPF records that did not decode.
	malformedRecords atomic.Uint64
	// malformedModuleLines: lines of /proc/modules that did not parse (a
	// line that stays bad counts once).
	malformedModuleLines atomic.Uint64
	// malformedDepLines: lines of modules.dep that did not parse, once
	// per version of the file.
	malformedDepLines atomic.Uint64
	// resyncs: comparisons with /proc/modules after lost records.
	resyncs atomic.Uint64
	// snapshotErrors: saved module tables that could not be read or
	// written.
	snapshotErrors atomic.Uint64
	// modules: the modules the table holds.
	modules atomic.Uint64
}

// Counters implements plugin.Counted.
func (s *Sensor) Counters() map[string]uint64 {
	c := &s.counters
	return map[string]uint64{
		"lost_records":                c.lostRecords.Load(),
		"malformed_records":           c.malformedRecords.Load(),
		"malformed_module_lines":      c.malformedModuleLines.Load(),
		"malformed_modules_dep_lines": c.malformedDepLines.Load(),
		"resyncs":                     c.resyncs.Load(),
		"snapshot_errors":             c.snapshotErrors.Load(),
		"modules":                     c.modules.Load(),
	}
}
