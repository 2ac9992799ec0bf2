package proctable

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// testStats are the own counters of the sensor of TestSensorBase.
type testStats struct{ Records uint64 }

func (s testStats) Map() map[string]uint64 { return map[string]uint64{"records": s.Records} }

// TestSensorBase: settings are checked and errors name the sensor, a run
// needs Configure, and the counters are the sensor's own until it runs,
// then also the table's and the events', the latter summed over runs.
func TestSensorBase(t *testing.T) {
	f := newFixture(t)
	f.tree()
	b := NewSensorBase[Settings, testStats]("exec/test")
	if _, _, err := b.Begin(); err == nil || err.Error() != "exec/test: not configured" {
		t.Errorf("Begin before Configure: %v", err)
	}
	if err := b.ApplySettings(json.RawMessage(`{"fork_events":"some"}`)); err == nil || !strings.HasPrefix(err.Error(), "exec/test: settings: fork_events") {
		t.Errorf("bad settings: %v", err)
	}
	if err := b.ApplySettings(json.RawMessage(`{"hash_max_mib":16}`)); err != nil {
		t.Fatal(err)
	}
	b.Count(func(s *testStats) { s.Records++ })
	if got, want := b.Counters(), map[string]uint64{"records": 1}; !maps.Equal(got, want) {
		t.Errorf("counters before a run %v, want %v", got, want)
	}
	if err := b.Configure(plugin.Env{Root: f.root, HostID: "sensor-base-test"}); err != nil {
		t.Fatal(err)
	}
	tbl, st, err := b.Begin()
	if err != nil || tbl != b.Table() || st.HashMaxMiB != 16 {
		t.Fatalf("Begin = %p, %+v, %v; table %p", tbl, st, err, b.Table())
	}
	for run := uint64(1); run <= 2; run++ {
		stream, err := b.Open(tbl, st, &collector{})
		if err != nil {
			t.Fatal(err)
		}
		// The exit of a process the table does not know: an incomplete
		// event.
		stream.Exit(time.Now(), 4242, "", 0, &Process{PID: 4242, EntityID: "gone-" + string(rune('0'+run)),
			AUID: NoID, SessionID: NoID, Missing: []string{FieldExecutable}})
		stream.Close()
		got := b.Counters()
		if got["processes"] != 5 || got["incomplete_events"] != run || got["records"] != 1 {
			t.Errorf("run %d: counters %v, want 5 processes, %d incomplete events, 1 record", run, got, run)
		}
		if ss := b.StreamStats(); ss.Incomplete != 1 || ss.Exit != 1 {
			t.Errorf("run %d: stream stats %+v, want those of the run", run, ss)
		}
	}
	if n := len(b.Processes()); n != 5 {
		t.Errorf("%d processes listed, want 5", n)
	}
}
