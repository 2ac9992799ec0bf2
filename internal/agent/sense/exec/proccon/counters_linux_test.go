package proccon

import (
	"maps"
	"slices"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/proctable/proctest"
)

// TestCounters: datagrams handed to the handler as the connector sends
// them move the sensor's counters: events by kind, events lost between
// two sequence numbers of a CPU, and a malformed datagram, also counted
// as lost.
func TestCounters(t *testing.T) {
	tbl, stream, em := proctest.Offline(t, Name)
	s := New()
	h := handler{s: s, t: tbl, stream: stream, emit: em}
	h.datagram(slices.Concat(
		message(procEventFork, 0, 1, 99, 10, 10, 12, 12),
		message(procEventExec, 0, 2, 100, 12, 12),
		message(procEventUID, 0, 3, 101, 12, 12, 1000, 1000),
		message(procEventGID, 0, 7, 102, 12, 12, 1000, 1000), // 4, 5 and 6 lost
		message(procEventSID, 0, 8, 103, 12, 12),
		message(procEventExit, 0, 9, 104, 12, 12, 0x300, 17, 10, 10),
	))
	h.datagram([]byte{1, 2, 3})
	want := map[string]uint64{"execs": 1, "forks": 1, "exits": 1, "uid_changes": 1, "gid_changes": 1, "session_changes": 1,
		"lost_records": 3, "overflows": 0, "malformed_messages": 1}
	if got := s.Counters(); !maps.Equal(got, want) {
		t.Errorf("counters %v, want %v", got, want)
	}
	if n := em.LostCount(); n != 4 {
		t.Errorf("%d lost, want 3 from the sequence numbers and the malformed datagram", n)
	}
}
