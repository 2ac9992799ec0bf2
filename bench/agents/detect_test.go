package main

import (
	"testing"
	"time"

	"github.com/vigilsec/vigil/bench/agents/internal/fleet"
)

func TestReasonKind(t *testing.T) {
	tests := map[string]string{
		"disconnected without goodbye: Stale Connection (from 127.0.0.1:40312)": "disconnected without goodbye: Stale Connection",
		"no heartbeat for 20s and no connection":                                "no heartbeat for 20s and no connection",
		"":                                                                      "",
	}
	for in, want := range tests {
		if got := reasonKind(in); got != want {
			t.Errorf("reasonKind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSummarizeDetection(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ws := []*watched{
		{agent: &fleet.Agent{}, kind: fleet.Killed, downAt: t0, seenAt: t0.Add(1200 * time.Millisecond), decided: t0.Add(time.Millisecond), reason: "gone (from a)", alert: true},
		{agent: &fleet.Agent{}, kind: fleet.Killed, downAt: t0, seenAt: t0.Add(1100 * time.Millisecond), decided: t0.Add(2 * time.Millisecond), reason: "gone (from b)"},
		{agent: &fleet.Agent{}, kind: fleet.Killed, downAt: t0},
		{agent: &fleet.Agent{}, kind: fleet.Silent, downAt: t0, seenAt: t0.Add(6 * time.Second), decided: t0.Add(5 * time.Second), reason: "stale", alert: true},
	}
	d := summarizeDetection(fleet.Killed, ws)
	if d.Kind != "killed" || d.Agents != 3 || d.Lost != 2 || d.Alerts != 1 || len(d.NotLost) != 1 || len(d.NoAlert) != 1 {
		t.Errorf("killed: %+v", d)
	}
	if d.Visible.Min != 1100*time.Millisecond || d.Visible.Max != 1200*time.Millisecond || d.Reasons["gone"] != 2 {
		t.Errorf("killed delays or reasons: %+v", d)
	}
	s := summarizeDetection(fleet.Silent, ws)
	if s.Agents != 1 || s.Lost != 1 || s.Decided.Median != 5*time.Second {
		t.Errorf("silent: %+v", s)
	}
}
