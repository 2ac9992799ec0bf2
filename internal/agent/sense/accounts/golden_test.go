package accounts_test

import (
	"testing"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker/trackertest"
)

// TestOfflineGolden changes every kind of account data while the sensor
// is stopped; the next start reports the changes, compared with a golden
// file (go test -update rewrites it).
func TestOfflineGolden(t *testing.T) {
	trackertest.RequireRoot(t)
	root, data := fixture(t), t.TempDir()
	s := newSensor(t, root, data, `{"rescan_interval":"0"}`)
	r := trackertest.Start(t, s)
	r.Stop(t)
	if n := r.Emit.Len(); n != 0 {
		t.Fatalf("the baseline reported %d events", n)
	}
	trackertest.Overlay(t, "testdata/offline", root)

	r = trackertest.Start(t, s)
	evs := r.Emit.Events()
	r.Stop(t)
	trackertest.Check(t, accounts.Name, evs)
	for _, e := range evs {
		if e.String("vigil.offline") != "true" {
			t.Errorf("not marked offline: %v", e)
		}
	}
	trackertest.Golden(t, "testdata/golden/offline.jsonl", evs, *update)
	// The broken passwd line, and the broken key line read for root and
	// for backdoor, who shares root's home.
	if st := s.Stats(); st.MalformedLines != 3 {
		t.Errorf("malformed lines = %d, want 3 (%+v)", st.MalformedLines, st)
	}
}
