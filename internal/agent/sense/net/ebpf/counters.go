package ebpf

import "sync/atomic"

// counters are the sensor's own counts, totals since it was created; the
// runtime reads them while the sensor runs.
type counters struct {
	// lostRecords: records the kernel's ring buffer had no room for.
	lostRecords atomic.Uint64
	// malformedRecords: ring buffer records that did not decode.
	malformedRecords atomic.Uint64
	// malformedDNS: DNS messages that did not parse.
	malformedDNS atomic.Uint64
	// dnsTCPSplit: DNS over TCP messages skipped because they continued
	// past the segment they began in.
	dnsTCPSplit atomic.Uint64
	// flowEvictions: flow table entries the kernel evicted to make room
	// before their growth was read.
	flowEvictions atomic.Uint64
	// flowEntries: the flow table's entries at the last read (a size).
	flowEntries atomic.Uint64
}

// Counters implements plugin.Counted.
func (s *Sensor) Counters() map[string]uint64 {
	c := &s.counters
	return map[string]uint64{
		"lost_records":      c.lostRecords.Load(),
		"malformed_records": c.malformedRecords.Load(),
		"malformed_dns":     c.malformedDNS.Load(),
		"dns_tcp_split":     c.dnsTCPSplit.Load(),
		"flow_evictions":    c.flowEvictions.Load(),
		"flow_entries":      c.flowEntries.Load(),
	}
}
