package agentpolicy

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		name    string
		spec    string
		want    *busv1.AgentPolicy
		wantErr string
	}{
		{name: "empty object", spec: `{}`, want: &busv1.AgentPolicy{}},
		{
			name: "full",
			spec: `{"collectors": {"os/dpkg": {"enabled": true, "intervalSeconds": 3600}},
				"sensors": {"exec/proccon": {"enabled": false}, "fim": {"enabled": true}},
				"budget": {"cpuPercent": 2.5, "memoryMb": 128}, "heartbeatIntervalSeconds": 10,
				"spoolMaxMb": 64, "maxEventsPerSecond": 500}`,
			want: &busv1.AgentPolicy{
				Collectors: map[string]*busv1.PluginPolicy{"os/dpkg": {Enabled: true, IntervalSeconds: 3600}},
				Sensors: map[string]*busv1.PluginPolicy{
					"exec/proccon": {Enabled: false}, "fim": {Enabled: true},
				},
				Budget:                   &busv1.Budget{CpuPercent: 2.5, MemoryMb: 128},
				HeartbeatIntervalSeconds: 10, SpoolMaxMb: 64, MaxEventsPerSecond: 500,
			},
		},
		{name: "proto names", spec: `{"heartbeat_interval_seconds": 30}`, want: &busv1.AgentPolicy{HeartbeatIntervalSeconds: 30}},
		{name: "revision and name ignored", spec: `{"revision": "7", "name": "x"}`, want: &busv1.AgentPolicy{}},
		{name: "unknown field", spec: `{"heartbeat": 5}`, wantErr: `unknown field "heartbeat"`},
		{name: "unknown nested field", spec: `{"budget": {"cpu": 5}}`, wantErr: `unknown field "cpu"`},
		{name: "wrong type", spec: `{"heartbeatIntervalSeconds": "often"}`, wantErr: "heartbeatIntervalSeconds"},
		{name: "not an object", spec: `[1]`, wantErr: "JSON object"},
		{name: "empty", spec: ``, wantErr: "JSON object"},
		{name: "trailing garbage", spec: `{} {}`, wantErr: "invalid agent policy"},
		{name: "heartbeat too low", spec: `{"heartbeatIntervalSeconds": -1}`, wantErr: "heartbeatIntervalSeconds: -1 is out of range 1 to 300"},
		{name: "heartbeat too high", spec: `{"heartbeatIntervalSeconds": 301}`, wantErr: "heartbeatIntervalSeconds: 301"},
		{name: "cpu too low", spec: `{"budget": {"cpuPercent": 0.5}}`, wantErr: "budget.cpuPercent: 0.5 is out of range 1 to 100"},
		{name: "cpu too high", spec: `{"budget": {"cpuPercent": 150}}`, wantErr: "budget.cpuPercent"},
		{name: "cpu NaN", spec: `{"budget": {"cpuPercent": "NaN"}}`, wantErr: "budget.cpuPercent"},
		{name: "memory too low", spec: `{"budget": {"memoryMb": 16}}`, wantErr: "budget.memoryMb: 16 is out of range 32"},
		{name: "spool too low", spec: `{"spoolMaxMb": 1}`, wantErr: "spoolMaxMb"},
		{name: "interval too short", spec: `{"collectors": {"os/dpkg": {"intervalSeconds": 1}}}`, wantErr: "collectors.os/dpkg.intervalSeconds: 1 is out of range"},
		{name: "sensor interval", spec: `{"sensors": {"fim": {"intervalSeconds": 60}}}`, wantErr: "only collectors"},
		{name: "bad plugin name", spec: `{"collectors": {"OS/Dpkg": {}}}`, wantErr: `"OS/Dpkg" is not a plugin name`},
		{name: "empty plugin part", spec: `{"collectors": {"os//dpkg": {}}}`, wantErr: "not a plugin name"},
		{name: "trailing slash", spec: `{"sensors": {"exec/": {}}}`, wantErr: "not a plugin name"},
		{
			name: "sensor limits and settings",
			spec: `{"sensors": {"exec/ebpf": {"enabled": true, "maxEventsPerSecond": 2000,
				"drop": [{"field": "process.executable", "equals": ["/usr/bin/true"], "prefixes": ["/opt/ci/"], "action": "exec"}],
				"settingsJson": "{\"fork_events\": false}"}}}`,
			want: &busv1.AgentPolicy{Sensors: map[string]*busv1.PluginPolicy{"exec/ebpf": {
				Enabled: true, MaxEventsPerSecond: 2000,
				Drop:         []*busv1.EventFilter{{Field: "process.executable", Equals: []string{"/usr/bin/true"}, Prefixes: []string{"/opt/ci/"}, Action: "exec"}},
				SettingsJson: `{"fork_events": false}`,
			}}},
		},
		{name: "collector settings", spec: `{"collectors": {"os/dpkg": {"settingsJson": "{}"}}}`,
			want: &busv1.AgentPolicy{Collectors: map[string]*busv1.PluginPolicy{"os/dpkg": {SettingsJson: "{}"}}}},
		{name: "negative rate", spec: `{"sensors": {"fim": {"maxEventsPerSecond": -1}}}`, wantErr: "sensors.fim.maxEventsPerSecond: -1 is out of range"},
		{name: "collector rate", spec: `{"collectors": {"os/dpkg": {"maxEventsPerSecond": 5}}}`, wantErr: "only sensors stream events"},
		{name: "collector filter", spec: `{"collectors": {"os/dpkg": {"drop": [{"field": "a", "equals": ["b"]}]}}}`, wantErr: "only sensors' events are filtered"},
		{name: "filter without values", spec: `{"sensors": {"fim": {"drop": [{"field": "file.path"}]}}}`, wantErr: "sensors.fim.drop[0]: needs equals or prefixes"},
		{name: "filter bad field", spec: `{"sensors": {"fim": {"drop": [{"field": "file..path", "equals": ["x"]}]}}}`, wantErr: "drop[0].field"},
		{name: "filter empty value", spec: `{"sensors": {"fim": {"drop": [{"field": "file.path", "prefixes": [""]}]}}}`, wantErr: "values must be 1 to"},
		{name: "settings not an object", spec: `{"sensors": {"fim": {"settingsJson": "[1]"}}}`, wantErr: "sensors.fim.settingsJson: must be a JSON object"},
		{name: "settings not JSON", spec: `{"sensors": {"fim": {"settingsJson": "paths=/etc"}}}`, wantErr: "must be a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSpec([]byte(tc.spec))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrInvalidSpec) {
					t.Fatalf("ParseSpec error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSpec: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("ParseSpec (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateDefault(t *testing.T) {
	if err := Validate(Default()); err != nil {
		t.Fatalf("Validate(Default()) = %v", err)
	}
	if err := Validate(nil); err == nil {
		t.Fatal("Validate(nil) = nil, want an error")
	}
}

func TestValidPluginName(t *testing.T) {
	for name, want := range map[string]bool{
		"os/dpkg": true, "exec/proccon": true, "fim": true, "app/nginx-1.2_x": true,
		"": false, "/x": false, "x/": false, "a//b": false, "-x": false, "a/.b": false,
		"A": false, "a b": false, strings.Repeat("a", 65): false,
	} {
		if got := validPluginName(name); got != want {
			t.Errorf("validPluginName(%q) = %v, want %v", name, got, want)
		}
	}
}
