//go:build linux && (amd64 || arm64)

package ebpf

import (
	"encoding/binary"
	"maps"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/proctable/proctest"
)

// TestCounters: records handed to the reader as the ring buffer gives
// them move the sensor's counters; malformed ones are counted apart and
// as lost.
func TestCounters(t *testing.T) {
	tbl, stream, em := proctest.Offline(t, Name)
	s := New()
	r := reader{s: s, t: tbl, stream: stream, emit: em}
	const pid = 4242
	fork := make([]byte, forkRecordSize)
	binary.LittleEndian.PutUint32(fork, recordFork)
	binary.LittleEndian.PutUint32(fork[4:], pid)
	exit := make([]byte, exitRecordSize)
	binary.LittleEndian.PutUint32(exit, recordExit)
	binary.LittleEndian.PutUint32(exit[4:], pid)
	unknown := make([]byte, exitRecordSize)
	binary.LittleEndian.PutUint32(unknown, 99)
	for _, rec := range [][]byte{fork, rawExec(pid, "/usr/bin/passwd", "/home/alice", "passwd\x00", nil), exit,
		{1, 2}, unknown, rawExec(pid, "/x", "", "", nil)[:execHeaderSize-1]} {
		r.handle(rec)
	}
	want := map[string]uint64{"execs": 1, "forks": 1, "exits": 1, "lost_records": 0, "malformed_records": 3, "read_errors": 0}
	if got := s.Counters(); !maps.Equal(got, want) {
		t.Errorf("counters %v, want %v", got, want)
	}
	if n := em.LostCount(); n != 3 {
		t.Errorf("%d lost, want the 3 malformed records", n)
	}
}
