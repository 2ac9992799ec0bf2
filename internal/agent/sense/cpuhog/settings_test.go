package cpuhog_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/cpuhog"
	"github.com/vigilsec/vigil/internal/agent/sense/internal/sensetest"
)

func TestParseSettings(t *testing.T) {
	for _, raw := range []string{``, `{}`, `null`} {
		st, err := cpuhog.ParseSettings(json.RawMessage(raw))
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if d := cmp.Diff(cpuhog.DefaultSettings(), st); d != "" {
			t.Errorf("%q: not the defaults (-want +got):\n%s", raw, d)
		}
	}
	want := cpuhog.Settings{Interval: 5 * time.Second, Threshold: 150.5, Sustain: 30 * time.Minute, Rearm: 0,
		MaxProcesses: 4096, Ignore: []string{"/opt/render/bin/*", "/usr/lib/jvm/*/bin/java"}}
	st, err := cpuhog.ParseSettings(json.RawMessage(`{"interval":"5s","cpu_threshold":150.5,"sustain":"30m",
		"rearm":"0s","max_processes":4096,"ignore":["/opt/render/bin/*","/usr/lib/jvm/*/bin/java"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, st); d != "" {
		t.Errorf("settings (-want +got):\n%s", d)
	}
	if st, err := cpuhog.ParseSettings(json.RawMessage(`{"sustain":"1h"}`)); err != nil || st.Sustain != time.Hour || st.Interval != 10*time.Second {
		t.Errorf("one setting: %+v, %v", st, err)
	}
}

func TestParseSettingsRefuses(t *testing.T) {
	for _, tc := range []struct {
		raw, says string
	}{
		{`[]`, "settings"},
		{`{"unknown":1}`, "unknown"},
		{`{} {}`, "after"},
		{`{"interval":"50ms"}`, "interval 50ms"},
		{`{"interval":"11m","sustain":"1h"}`, "interval 11m0s"},
		{`{"interval":10}`, "duration"},
		{`{"interval":"soon"}`, "soon"},
		{`{"cpu_threshold":0}`, "cpu_threshold 0"},
		{`{"cpu_threshold":-5}`, "cpu_threshold -5"},
		{`{"cpu_threshold":409601}`, "cpu_threshold 409601"},
		{`{"cpu_threshold":"80"}`, "cpu_threshold"},
		{`{"sustain":"5s"}`, "sustain 5s"},
		{`{"sustain":"25h"}`, "sustain 25h0m0s"},
		{`{"rearm":"1m"}`, "rearm 1m0s"},
		{`{"rearm":"31d"}`, `duration "31d"`},
		{`{"rearm":"800h"}`, "rearm 800h0m0s"},
		{`{"max_processes":0}`, "max_processes 0"},
		{`{"max_processes":4194305}`, "max_processes 4194305"},
		{`{"max_processes":1.5}`, "max_processes"},
		{`{"ignore":["java"]}`, `ignore[0] "java"`},
		{`{"ignore":["/opt/x","/opt/[x"]}`, `ignore[1] "/opt/[x"`},
		{`{"ignore":["/opt/\u0000x"]}`, "ignore[0]"},
	} {
		_, err := cpuhog.ParseSettings(json.RawMessage(tc.raw))
		if err == nil || !strings.Contains(err.Error(), tc.says) || !strings.HasPrefix(err.Error(), "cpuhog ") {
			t.Errorf("%s: error %v, want one saying %q", tc.raw, err, tc.says)
		}
	}
	many := make([]string, cpuhog.MaxIgnoreEntries+1)
	for i := range many {
		many[i] = "/opt/x"
	}
	b, _ := json.Marshal(map[string]any{"ignore": many})
	if _, err := cpuhog.ParseSettings(b); err == nil || !strings.Contains(err.Error(), "ignore has 1025 entries") {
		t.Errorf("1025 ignore entries: %v", err)
	}
}

// TestApplySettingsKeepsPrevious: refused settings leave those in force.
func TestApplySettingsKeepsPrevious(t *testing.T) {
	s := cpuhog.New()
	if err := s.ApplySettings(json.RawMessage(`{"cpu_threshold":95}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplySettings(json.RawMessage(`{"cpu_threshold":95,"sustain":"1ms"}`)); err == nil {
		t.Fatal("bad settings accepted")
	}
	if got := s.Settings(); got.Threshold != 95 || got.Sustain != 10*time.Minute {
		t.Errorf("settings after a refusal: %+v", got)
	}
}

func TestSensorIdentity(t *testing.T) {
	s := cpuhog.New()
	if s.Name() != "cpuhog" || s.Mechanism() != "proc-stat" {
		t.Errorf("name %q, mechanism %q", s.Name(), s.Mechanism())
	}
	r := s.Requirements()
	if r.Root || len(r.Features) != 0 || !slices.Equal(r.OS, []string{"linux"}) {
		t.Errorf("requirements %+v: want Linux only, no privilege", r)
	}
	if err := s.Run(context.Background(), &sensetest.Emitter{}); err == nil {
		t.Error("Run before Configure succeeded")
	}
	if err := s.Configure(plugin.Env{Root: t.TempDir()}); !errors.Is(err, plugin.ErrUnsupported) {
		t.Errorf("Configure without a proc filesystem: %v, want ErrUnsupported", err)
	}
	names := []string{"processes", "evictions", "untracked", "read_errors", "malformed_lines", "pid_reuses",
		"ignored", "package_lookups", "package_cache_hits"}
	c := s.Counters()
	for _, n := range names {
		if _, ok := c[n]; !ok {
			t.Errorf("counter %s missing", n)
		}
	}
	if len(c) != len(names) {
		t.Errorf("counters %v", c)
	}
}
