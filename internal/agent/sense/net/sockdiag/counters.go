package sockdiag

import "sync/atomic"

// dumpStats counts what dumps skipped or retried.
type dumpStats struct {
	// Malformed: socket messages that did not parse.
	Malformed int
	// Forged: messages whose sender was not the kernel.
	Forged int
	// Interrupted: dumps run again because the kernel marked them
	// inconsistent (sockets changed while they ran).
	Interrupted int
}

// counters are the sensor's own counts, totals since it was created but
// for sockets, a size; the runtime reads them while the sensor runs.
type counters struct {
	malformed, forged, interrupted atomic.Uint64
	// failedDumps: polls whose dump failed.
	failedDumps atomic.Uint64
	// unreadableProcesses: processes whose /proc entries did not parse
	// while their sockets' owner was looked for.
	unreadableProcesses atomic.Uint64
	// sockets: the sockets tracked after the last poll.
	sockets atomic.Uint64
}

func (c *counters) addDump(st dumpStats) {
	c.malformed.Add(uint64(st.Malformed))
	c.forged.Add(uint64(st.Forged))
	c.interrupted.Add(uint64(st.Interrupted))
}

// Counters implements plugin.Counted.
func (s *Sensor) Counters() map[string]uint64 {
	c := &s.counters
	return map[string]uint64{
		"malformed_messages":   c.malformed.Load(),
		"forged_messages":      c.forged.Load(),
		"interrupted_dumps":    c.interrupted.Load(),
		"failed_dumps":         c.failedDumps.Load(),
		"unreadable_processes": c.unreadableProcesses.Load(),
		"sockets":              c.sockets.Load(),
	}
}
