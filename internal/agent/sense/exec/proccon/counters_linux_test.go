package proccon

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/proctable"
	"github.com/vigilsec/vigil/internal/agent/proctable/proctest"
	"github.com/vigilsec/vigil/internal/event"
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

// TestExecAfterSweep: a sensor behind the kernel handles the exec of a
// process after a sweep put its fork aside (its /proc entry was gone):
// the exec event still names the parent that the fork told.
func TestExecAfterSweep(t *testing.T) {
	tbl, stream, em := proctest.Offline(t, Name)
	tbl.Put(&proctable.Process{PID: 10, PPID: 1, EntityID: "sh-10", Name: "sh", AUID: proctable.NoID, SessionID: proctable.NoID})
	h := handler{s: New(), t: tbl, stream: stream, emit: em}
	h.datagram(message(procEventFork, 0, 1, 99, 10, 10, 12, 12))
	tbl.Maintain(time.Now().Add(2 * time.Minute)) // the sweep: no /proc entry for 12
	if _, live := tbl.Get(12); live {
		t.Fatal("the sweep kept a process that /proc does not show")
	}
	h.datagram(message(procEventExec, 0, 2, 100, 12, 12))
	stream.Close()
	evs := em.Events(func(e event.Event) bool { return e.String("event.action") == "exec" })
	if len(evs) != 1 {
		t.Fatalf("%d exec events, want 1", len(evs))
	}
	e := evs[0]
	if got := proctest.Int(e, "process.parent.pid"); got != 10 {
		t.Errorf("process.parent.pid %d, want 10 (the fork's parent)", got)
	}
	if got := e.String("process.parent.entity_id"); got != "sh-10" {
		t.Errorf("process.parent.entity_id %q, want sh-10", got)
	}
	if e.String("vigil.process.incomplete") != "true" {
		t.Errorf("an exec of a process gone from /proc is not flagged incomplete: %v", e)
	}
}
