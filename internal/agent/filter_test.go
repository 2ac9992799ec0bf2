package agent

import (
	"encoding/json"
	"testing"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/event"
)

func TestDropFilters(t *testing.T) {
	fs := compileFilters([]*busv1.EventFilter{
		{Field: "process.executable", Equals: []string{"/usr/bin/true"}, Action: "exec"},
		{Field: "file.path", Prefixes: []string{"/var/cache/"}},
		{Field: "destination.port", Equals: []string{"53"}},
		{Field: "process.args", Equals: []string{"--noisy"}},
		{Field: "no.values"}, // unusable: left out
	})
	if len(fs) != 4 {
		t.Fatalf("%d filters compiled, want 4", len(fs))
	}
	mk := func(action string, fields map[string]any) event.Event {
		e := event.New("", time.Unix(0, 0), "process", action)
		for k, v := range fields {
			e.Set(k, v)
		}
		return e
	}
	tests := []struct {
		name string
		e    event.Event
		drop bool
	}{
		{"equal value and action", mk("exec", map[string]any{"process.executable": "/usr/bin/true"}), true},
		{"other action", mk("exit", map[string]any{"process.executable": "/usr/bin/true"}), false},
		{"other value", mk("exec", map[string]any{"process.executable": "/usr/bin/truer"}), false},
		{"prefix", mk("file-modified", map[string]any{"file.path": "/var/cache/apt/x"}), true},
		{"prefix not matching", mk("file-modified", map[string]any{"file.path": "/var/cachex"}), false},
		{"int field", mk("dns-query", map[string]any{"destination.port": 53}), true},
		{"json number field", mk("dns-query", map[string]any{"destination.port": json.Number("53")}), true},
		{"array field", mk("exec", map[string]any{"process.args": []any{"tool", "--noisy"}}), true},
		{"string array field", mk("exec", map[string]any{"process.args": []string{"tool", "--quiet"}}), false},
		{"absent field", mk("exec", nil), false},
		{"object field", mk("exec", map[string]any{"file.path": map[string]any{"x": 1}}), false},
	}
	for _, tc := range tests {
		if got := matchAny(fs, tc.e); got != tc.drop {
			t.Errorf("%s: match = %v, want %v", tc.name, got, tc.drop)
		}
	}
	if compileFilters(nil) != nil {
		t.Error("no filters compile to something")
	}
}
