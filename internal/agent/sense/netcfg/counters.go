package netcfg

import "sync/atomic"

// counters are the sensor's own counts: totals since it was created, and
// the sizes of its state; the runtime reads them while the sensor runs.
type counters struct {
	// overflowResyncs: subscriptions whose socket overflowed (ENOBUFS),
	// were opened again and resynchronised.
	overflowResyncs atomic.Uint64
	// resyncs: comparisons with a fresh dump, for any reason; failed
	// ones are counted in resyncFailures too.
	resyncs, resyncFailures atomic.Uint64
	// malformed: notifications that could not be decoded.
	malformed atomic.Uint64
	// forged: notifications not sent by the kernel, ignored.
	forged atomic.Uint64
	// snapshotErrors: saved snapshots that could not be read or written.
	snapshotErrors atomic.Uint64
	// The interfaces, addresses and routes the state holds.
	interfaces, addresses, routes atomic.Uint64
}

// Counters implements plugin.Counted.
func (s *Sensor) Counters() map[string]uint64 {
	c := &s.counters
	return map[string]uint64{
		"overflow_resyncs":   c.overflowResyncs.Load(),
		"resyncs":            c.resyncs.Load(),
		"resync_failures":    c.resyncFailures.Load(),
		"malformed_messages": c.malformed.Load(),
		"forged_messages":    c.forged.Load(),
		"snapshot_errors":    c.snapshotErrors.Load(),
		"interfaces":         c.interfaces.Load(),
		"addresses":          c.addresses.Load(),
		"routes":             c.routes.Load(),
	}
}
