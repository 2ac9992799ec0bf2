package tracker_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker/trackertest"
)

// baseSettings are the settings of the sensor of TestSensorBase.
type baseSettings struct{ tracker.Common }

func parseBaseSettings(raw json.RawMessage) (baseSettings, error) {
	st := baseSettings{tracker.Common{Rescan: time.Hour, MaxFileBytes: 1 << 20}}
	var doc tracker.CommonDocument
	if err := plugin.DecodeSettings(raw, &doc); err != nil {
		return st, err
	}
	return st, doc.Parse(&st.Common)
}

// baseSensor is a sensor made of the frame.
type baseSensor struct {
	*tracker.SensorBase[baseSettings]
}

func (baseSensor) Name() string { return "test" }

// TestSensorBase: the frame's errors name the sensor, the settings reach
// the model of each run, the state is kept in the data directory, and the
// counters are the statistics of the runs, kept across them.
func TestSensorBase(t *testing.T) {
	var used []baseSettings
	b := tracker.NewSensorBase("test", "test.json", parseBaseSettings, func(st baseSettings, _ *rootfs.FS) tracker.Model {
		used = append(used, st)
		return lines{}
	})
	if err := b.Run(context.Background(), &trackertest.Emitter{}); err == nil || err.Error() != "test: not configured" {
		t.Errorf("Run before Configure: %v", err)
	}
	if err := b.Configure(plugin.Env{Root: t.TempDir()}); err == nil || !strings.HasPrefix(err.Error(), "test: ") {
		t.Errorf("Configure without a data directory: %v", err)
	}
	if err := b.ApplySettings(json.RawMessage(`{"rescan_interval":"1s"}`)); err == nil || !strings.HasPrefix(err.Error(), "test: settings: rescan_interval") {
		t.Errorf("bad settings: %v", err)
	}
	root, data := t.TempDir(), t.TempDir()
	write(t, root, "srv/list", "a=1\nBAD\n")
	if err := b.Configure(plugin.Env{Root: root, DataDir: data, Logger: trackertest.Logger(t)}); err != nil {
		t.Fatal(err)
	}
	if err := b.ApplySettings(json.RawMessage(`{"rescan_interval":"0","max_file_bytes":4096}`)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		trackertest.Start(t, baseSensor{b}).Stop(t)
	}
	if _, err := os.Stat(filepath.Join(data, "state", "test.json")); err != nil {
		t.Errorf("state file: %v", err)
	}
	want := baseSettings{tracker.Common{MaxFileBytes: 4096}}
	if len(used) != 2 || used[0] != want || used[1] != want {
		t.Errorf("settings of the runs %+v, want %+v twice", used, want)
	}
	c := b.Counters()
	if c["malformed_lines"] != 1 || c["passes"] != 2 || !maps.Equal(c, b.Stats().Map()) {
		t.Errorf("counters %v, want 1 malformed line and 2 passes, as Stats %+v", c, b.Stats())
	}
}
