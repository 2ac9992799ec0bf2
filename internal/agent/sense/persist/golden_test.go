package persist_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker/trackertest"
	"github.com/vigilsec/vigil/internal/agent/sense/persist"
)

// TestOfflineGolden plants every kind of persistence while the sensor is
// stopped; the next start reports it, compared with a golden file (go
// test -update rewrites it).
func TestOfflineGolden(t *testing.T) {
	trackertest.RequireRoot(t)
	root, data := fixture(t), t.TempDir()
	s := newSensor(t, root, data, `{"rescan_interval":"0","max_added_lines":5}`)
	r := trackertest.Start(t, s)
	r.Stop(t)
	if n := r.Emit.Len(); n != 0 {
		t.Fatalf("the baseline reported %d events", n)
	}
	trackertest.Overlay(t, "testdata/offline", root)
	for _, p := range []string{"etc/cron.d/e2scrub_all", "etc/systemd/system/multi-user.target.wants/ssh.service"} {
		if err := os.Remove(filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
	}

	r = trackertest.Start(t, s)
	evs := r.Emit.Events()
	r.Stop(t)
	trackertest.Check(t, persist.Name, evs)
	for _, e := range evs {
		if e.String("vigil.offline") != "true" {
			t.Errorf("not marked offline: %v", e)
		}
	}
	trackertest.Golden(t, "testdata/golden/offline.jsonl", evs, *update)
	// The line of /etc/cron.d/sysstat that is not an entry.
	if st := s.Stats(); st.MalformedLines != 1 {
		t.Errorf("malformed lines = %d, want 1 (%+v)", st.MalformedLines, st)
	}
}
